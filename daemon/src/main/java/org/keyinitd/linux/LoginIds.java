package org.keyinitd.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process's audit login uid and audit session id, as the kernel keeps them
 * ({@code /proc/PID/loginuid}, {@code /proc/PID/sessionid}; set by pam_loginuid at login). They
 * are what the kernel's audit records call {@code auid} and {@code ses}, so an auditor joins
 * keyinitd's lines with libpam's USER_START/USER_END on them. {@link #UNSET} (4294967295, the
 * kernel's own "unset") when the process has none, is gone, or the kernel has no audit support.
 */
public record LoginIds(long auid, long ses) {
    public static final long UNSET = 4294967295L;
    public static final LoginIds UNKNOWN = new LoginIds(UNSET, UNSET);

    public boolean known() {
        return auid != UNSET || ses != UNSET;
    }

    /** The ids of process {@code pid} now. */
    public static LoginIds of(long pid) {
        Path proc = Path.of("/proc", Long.toString(pid));
        return new LoginIds(read(proc.resolve("loginuid")), read(proc.resolve("sessionid")));
    }

    /** As {@link #of(long)}, but UNKNOWN unless pid is still the process that started at {@code startTime}. */
    public static LoginIds of(long pid, long startTime) {
        LoginIds ids = of(pid);
        return ProcStat.startTime(pid).orElse(-2) == startTime ? ids : UNKNOWN;
    }

    private static long read(Path file) {
        try {
            String s = new String(Files.readAllBytes(file), StandardCharsets.US_ASCII).trim();
            long v = Long.parseLong(s);
            return v < 0 ? UNSET : v;
        } catch (IOException | NumberFormatException e) {
            return UNSET;
        }
    }
}
