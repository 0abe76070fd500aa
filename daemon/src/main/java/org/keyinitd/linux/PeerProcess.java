package org.keyinitd.linux;

import java.io.FileInputStream;
import java.io.IOException;
import java.util.OptionalLong;

/**
 * What an OPEN needs to know of the calling process, read once: its start time (which, with
 * the pid, names it for the life of the machine) and its audit login ids. Three small /proc
 * files, each read with one open, one read and one close into this thread's own buffer.
 */
public record PeerProcess(OptionalLong startTime, LoginIds login) {
    private static final ThreadLocal<byte[]> BUFFER = ThreadLocal.withInitial(() -> new byte[2048]);

    /** Reads {@code /proc/PID/{loginuid,sessionid,stat}}; the start time last, so it dates what came before. */
    public static PeerProcess of(long pid) {
        String dir = "/proc/" + pid + "/";
        byte[] buf = BUFFER.get();
        long auid = number(buf, read(dir + "loginuid", buf));
        long ses = number(buf, read(dir + "sessionid", buf));
        int n = read(dir + "stat", buf);
        return new PeerProcess(n <= 0 ? OptionalLong.empty() : ProcStat.startTime(buf, n),
                new LoginIds(auid, ses));
    }

    /** The file's first bytes into buf (a /proc file is read whole by one read); -1 if unreadable. */
    static int read(String file, byte[] buf) {
        try (FileInputStream in = new FileInputStream(file)) {
            return in.read(buf);
        } catch (IOException e) {
            return -1;
        }
    }

    /** A decimal number, as LoginIds reads it: UNSET when missing or negative. */
    private static long number(byte[] buf, int n) {
        long v = 0;
        int i = 0;
        boolean neg = n > 0 && buf[0] == '-';
        if (neg) {
            i = 1;
        }
        int digits = 0;
        for (; i < n && buf[i] >= '0' && buf[i] <= '9'; i++, digits++) {
            v = v * 10 + (buf[i] - '0');
        }
        return n <= 0 || digits == 0 || neg ? LoginIds.UNSET : v;
    }
}
