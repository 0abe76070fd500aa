package org.keyinitd.keyring;

/** The keyring operations a session needs; {@link KeyringService} is the kernel-backed one. */
public interface SessionKeyrings {
    SessionKeyring create(long uid, long gid) throws KeyringException;

    void revoke(int serial) throws KeyringException;

    void release(int serial) throws KeyringException;
}
