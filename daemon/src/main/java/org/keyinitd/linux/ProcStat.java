package org.keyinitd.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * A process's start time (field 22 of /proc/PID/stat, clock ticks since boot). A pid and its
 * start time together name one process for the life of the machine: a reused pid has a later
 * start time.
 */
public final class ProcStat {
    private ProcStat() {
    }

    public static OptionalLong startTime(long pid) {
        byte[] stat;
        try {
            stat = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "stat"));
        } catch (IOException e) {
            return OptionalLong.empty(); // no such process
        }
        if (stat.length == 0) {
            return OptionalLong.empty();
        }
        return startTime(stat, stat.length);
    }

    /** Field 22 of the first {@code length} bytes of a /proc/PID/stat. */
    static OptionalLong startTime(byte[] stat, int length) {
        // comm (field 2) may contain spaces and parentheses: count fields after the last ')'.
        int i = length - 1;
        while (i >= 0 && stat[i] != ')') {
            i--;
        }
        int field = 2;
        for (i++; i < length; i++) {
            if (stat[i] == ' ' && ++field == 22) {
                long value = 0;
                int j = i + 1;
                while (j < length && stat[j] >= '0' && stat[j] <= '9') {
                    value = value * 10 + (stat[j++] - '0');
                }
                return j > i + 1 ? OptionalLong.of(value) : OptionalLong.empty();
            }
        }
        return OptionalLong.empty();
    }
}
