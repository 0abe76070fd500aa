package org.keyinitd.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Signals the daemon's parent left ignored. A shell's background job and nohup(1) start a
 * process with SIGHUP (and SIGINT) ignored, and the JVM installs no handler for an ignored
 * SIGHUP, SIGINT or SIGTERM: the daemon would then neither reload on SIGHUP nor stop cleanly. So
 * the launcher puts their default action back before it installs its own handlers.
 */
public final class InheritedSignals {
    /** The signals the launcher handles, by number. */
    private static final Map<Integer, String> HANDLED = Map.of(1, "HUP", 2, "INT", 15, "TERM", 10, "USR1");

    private InheritedSignals() {
    }

    /** Restores the default action of each handled signal found ignored; their names. */
    public static List<String> unignore() {
        long ignored = ignoredMask();
        List<String> restored = new ArrayList<>();
        for (Map.Entry<Integer, String> e : HANDLED.entrySet()) {
            if ((ignored & (1L << (e.getKey() - 1))) != 0) {
                Libc.INSTANCE.signal(e.getKey(), null);
                restored.add(e.getValue());
            }
        }
        return restored;
    }

    /** SigIgn of /proc/self/status: bit N-1 set when signal N is ignored. */
    private static long ignoredMask() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("SigIgn:")) {
                    return Long.parseUnsignedLong(line.substring(7).trim(), 16);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // no /proc: nothing known to restore
        }
        return 0;
    }
}
