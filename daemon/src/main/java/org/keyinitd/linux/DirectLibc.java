package org.keyinitd.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * The hot-path calls, JNA direct-mapped: a static native method per signature, all arguments
 * primitive (pointers as addresses), so a call costs no reflection, no varargs array, no boxing
 * and no per-call type conversion, unlike {@link Libc}'s interface proxy. Errno comes back as
 * {@link LastErrorException}, as with the proxy. glibc's {@code syscall} is variadic, but on
 * x86-64 and aarch64 integer arguments go in the same registers either way (and glibc's
 * implementation only moves registers), so the fixed six-argument form is the same call.
 * Package-private: everything else goes through {@link Kernel}.
 */
final class DirectLibc {
    static {
        Native.register(DirectLibc.class, NativeLibrary.getInstance("c"));
    }

    private DirectLibc() {
    }

    /** Nothing: calling it runs the static registration above. */
    static void load() {
    }

    static native long syscall(long number, long a1, long a2, long a3, long a4, long a5) throws LastErrorException;

    static native int getpwnam_r(String name, Pointer pwd, Pointer buf, long buflen, Pointer result);
}
