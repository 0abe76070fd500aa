package org.keyinitd.admin;

import java.nio.file.Path;
import java.time.Instant;

/** What STATUS reports about the daemon itself. */
public interface DaemonInfo {
    String version();

    long pid();

    Instant startedAt();

    Path configFile();

    Instant configLoadedAt();

    long auditDropped();
}
