package org.keyinitd.metrics;

/** Request handling time of one op: count since start, percentiles of recent requests, max; nanoseconds. */
public record Latency(long count, long p50, long p90, long p99, long max) {
}
