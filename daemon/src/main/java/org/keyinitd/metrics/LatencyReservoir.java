package org.keyinitd.metrics;

import java.util.Arrays;

/**
 * The most recent request latencies of one op, in a fixed ring (bounded memory whatever the
 * load), and the all-time count and maximum. Percentiles are computed over the ring.
 */
final class LatencyReservoir {
    static final int SIZE = 4096;

    private final long[] ring = new long[SIZE];
    private int next;
    private int filled;
    private long count;
    private long max;

    synchronized void add(long nanos) {
        ring[next] = nanos;
        next = (next + 1) % SIZE;
        filled = Math.min(filled + 1, SIZE);
        count++;
        max = Math.max(max, nanos);
    }

    synchronized Latency snapshot() {
        long[] sorted = Arrays.copyOf(ring, filled);
        Arrays.sort(sorted);
        return new Latency(count, pct(sorted, 0.50), pct(sorted, 0.90), pct(sorted, 0.99), max);
    }

    private static long pct(long[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }
}
