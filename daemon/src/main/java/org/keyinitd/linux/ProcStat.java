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
        String stat;
        try {
            stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        } catch (IOException e) {
            return OptionalLong.empty(); // no such process
        }
        // comm (field 2) may contain spaces and parentheses: count fields after the last ')'.
        String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        try {
            return OptionalLong.of(Long.parseLong(rest[19])); // field 22 is the 20th after comm
        } catch (RuntimeException e) {
            return OptionalLong.empty();
        }
    }
}
