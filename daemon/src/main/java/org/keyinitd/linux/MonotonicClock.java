package org.keyinitd.linux;

/**
 * CLOCK_MONOTONIC in nanoseconds, the clock the PAM module states its deadlines in. Read as
 * {@link System#nanoTime()} plus an offset measured once against clock_gettime: on Linux the
 * JVM's nanoTime is that clock already, so the offset is normally 0, but nothing guarantees it.
 */
public final class MonotonicClock {
    private final long offset;

    private MonotonicClock(long offset) {
        this.offset = offset;
    }

    /** Measures the offset: the smallest of a few bracketed readings, so a preemption does not skew it. */
    public static MonotonicClock calibrate(Kernel kernel) throws KernelException {
        long best = Long.MAX_VALUE;
        long offset = 0;
        for (int i = 0; i < 5; i++) {
            long before = System.nanoTime();
            long mono = kernel.monotonicNanos();
            long after = System.nanoTime();
            if (after - before < best) {
                best = after - before;
                offset = mono - (before + (after - before) / 2);
            }
        }
        return new MonotonicClock(offset);
    }

    public long nanos() {
        return System.nanoTime() + offset;
    }
}
