package org.keyinitd.admin;

import java.nio.file.Path;
import java.time.Instant;

/** What STATUS (and SHOW) report about the daemon itself. */
public interface DaemonInfo {
    String version();

    long pid();

    Instant startedAt();

    Path configFile();

    Instant configLoadedAt();

    long auditDropped();

    /** The audit log in force (SHOW reads a session's lines from it and its last rotation). */
    Path auditLog();
}
