package org.keyinitd.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

/** The JNA binding to glibc. Package-private: everything else goes through {@link Kernel}. */
interface Libc extends Library {
    Libc INSTANCE = Native.load("c", Libc.class);

    /** Raw syscall: credential changes made this way apply to the calling thread only. */
    long syscall(long number, Object... args) throws LastErrorException;

    int getpwnam_r(String name, Pointer pwd, Pointer buf, long buflen, PointerByReference result);

    int getgrouplist(String user, int group, int[] groups, IntByReference ngroups);

    int getgrgid_r(int gid, Pointer grp, Pointer buf, long buflen, PointerByReference result);

    String strerror(int errnum);

    /** signal(2); a null handler is SIG_DFL. Returns the previous handler (SIG_ERR is -1). */
    Pointer signal(int signum, Pointer handler);

    int clock_gettime(int clock, Pointer timespec) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    int epoll_create1(int flags) throws LastErrorException;

    int epoll_ctl(int epfd, int op, int fd, Pointer event) throws LastErrorException;

    int epoll_wait(int epfd, Pointer events, int maxevents, int timeout) throws LastErrorException;
}
