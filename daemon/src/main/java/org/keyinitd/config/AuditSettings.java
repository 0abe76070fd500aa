package org.keyinitd.config;

import java.nio.file.Path;

/**
 * Where and how audit lines are written: the file and its size-based rotation, the optional
 * copy to syslog (facility authpriv), and the queue that keeps a slow disk off the login path.
 */
public record AuditSettings(Path file, long maxSizeBytes, int maxFiles, boolean syslog, int queueSize,
                            int queueTimeoutMillis) {
    public static final long DEFAULT_MAX_SIZE = 50L * 1024 * 1024;
    public static final int DEFAULT_MAX_FILES = 10;
    public static final int DEFAULT_QUEUE_SIZE = 10_000;
    public static final int DEFAULT_QUEUE_TIMEOUT_MILLIS = 50;

    public static AuditSettings defaults(Path file) {
        return new AuditSettings(file, DEFAULT_MAX_SIZE, DEFAULT_MAX_FILES, false, DEFAULT_QUEUE_SIZE,
                DEFAULT_QUEUE_TIMEOUT_MILLIS);
    }
}
