package org.keyinitd.config;

/**
 * Resource limits of the socket server. Root peers (the login programs) are not held to the
 * per-uid limit, so no local user can crowd them out by holding connections open.
 */
public record Limits(int maxFrame, int maxConnections, int maxConnectionsPerUid, int idleTimeoutMillis,
                     int requestTimeoutMillis) {
    public static final Limits DEFAULT = new Limits(4096, 256, 8, 5000, 2000);
}
