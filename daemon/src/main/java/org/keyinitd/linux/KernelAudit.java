package org.keyinitd.linux;

import com.sun.jna.Library;
import com.sun.jna.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Linux audit subsystem, through libaudit ({@code libaudit.so.1}, as libpam uses it):
 * {@code audit_open} once, then {@code audit_log_user_message} per record. The kernel stamps each
 * record with the sender's pid, uid, auid and ses (the daemon's), then the message text; libaudit
 * appends {@code exe= hostname= addr= terminal= res=}.
 *
 * <p>Quietly off (every {@link #send} a no-op, {@link #available()} false, one INFO line in the
 * daemon log) where libaudit cannot be loaded or the kernel has no audit support
 * ({@code audit_open} fails with EPROTONOSUPPORT, EINVAL or EAFNOSUPPORT, as libpam treats it).
 * Any other {@code audit_open} failure is logged as a WARN and also leaves it off.
 *
 * <p>{@link #send} may block while the kernel's audit backlog is full (up to
 * {@code backlog_wait_time}); callers keep it off request threads. Not for concurrent use: one
 * sender thread.
 */
public final class KernelAudit implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KernelAudit.class);

    private static final int EINVAL = 22;
    private static final int EPROTONOSUPPORT = 93;
    private static final int EAFNOSUPPORT = 97;

    /** The part of libaudit used here. Package-private, like {@link Libc}. */
    interface LibAudit extends Library {
        int audit_open();

        void audit_close(int fd);

        int audit_log_user_message(int fd, int type, String message, String hostname, String addr, String tty,
                int result);
    }

    private final LibAudit lib;
    private int fd;
    private final String why;

    private KernelAudit(LibAudit lib, int fd, String why) {
        this.lib = lib;
        this.fd = fd;
        this.why = why;
    }

    /** Opens the audit netlink socket, or returns an instance that sends nothing (see the class comment). */
    public static KernelAudit open() {
        LibAudit lib;
        try {
            lib = Native.load("audit", LibAudit.class);
        } catch (UnsatisfiedLinkError e) {
            try {
                lib = Native.load("libaudit.so.1", LibAudit.class);
            } catch (UnsatisfiedLinkError e2) {
                return off("libaudit.so.1 cannot be loaded (" + e2.getMessage().lines().findFirst().orElse("") + ")");
            }
        }
        int fd = lib.audit_open();
        if (fd < 0) {
            int errno = Native.getLastError();
            String reason = "audit_open: " + Libc.INSTANCE.strerror(errno) + " (errno " + errno + ")";
            if (errno == EPROTONOSUPPORT || errno == EINVAL || errno == EAFNOSUPPORT) {
                return off("the kernel has no audit support (" + reason + ")");
            }
            log.warn("kernel audit off: {}; keyinitd's records go to its audit log only", reason);
            return new KernelAudit(null, -1, reason);
        }
        log.debug("kernel audit: libaudit opened (fd {})", fd);
        return new KernelAudit(lib, fd, null);
    }

    private static KernelAudit off(String reason) {
        log.info("kernel audit off: {}; keyinitd's records go to its audit log only", reason);
        return new KernelAudit(null, -1, reason);
    }

    /** True when records are sent to the kernel. */
    public boolean available() {
        return fd >= 0;
    }

    /** Why it is off; empty when {@link #available()}. */
    public String whyOff() {
        return why == null ? "" : why;
    }

    /**
     * {@code audit_log_user_message(fd, type, message, hostname, addr, tty, success)}. Every string
     * must already be safe for an audit record (no spaces, quotes or control characters where the
     * format does not quote them): libaudit writes hostname, addr and tty as given. {@code addr}
     * must not be empty, or libaudit resolves {@code hostname} through DNS.
     *
     * @return 0 when the kernel took it (or audit is off in the kernel: it then drops it), else the errno
     */
    public int send(int type, String message, String hostname, String addr, String tty, boolean success) {
        if (fd < 0) {
            return 0;
        }
        int rc = lib.audit_log_user_message(fd, type, message, hostname, addr, tty, success ? 1 : 0);
        if (rc > 0) {
            return 0;
        }
        int errno = Native.getLastError();
        return errno != 0 ? errno : (rc < 0 ? -rc : EINVAL);
    }

    /** The C library's text for {@code errno}. */
    public static String strerror(int errno) {
        return Libc.INSTANCE.strerror(errno);
    }

    @Override
    public void close() {
        if (fd >= 0) {
            lib.audit_close(fd);
            fd = -1;
        }
    }
}
