package org.keyinitd.keyring;

import org.keyinitd.linux.KernelException;

/** Keyring work that could not be done; {@link #errno()} is the kernel's reason, or 0. */
public final class KeyringException extends Exception {
    private final int errno;

    public KeyringException(String message, int errno) {
        super(message);
        this.errno = errno;
    }

    public KeyringException(KernelException cause) {
        super(cause.getMessage(), cause);
        this.errno = cause.errno();
    }

    public int errno() {
        return errno;
    }
}
