package org.keyinitd.config;

/** Resource limits of the socket server. */
public record Limits(int maxFrame, int maxConnections, int idleTimeoutMillis, int requestTimeoutMillis) {
    public static final Limits DEFAULT = new Limits(4096, 64, 5000, 2000);
}
