package org.keyinitd.audit;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Lets at most one caller through per interval, so a condition that repeats for every audit
 * line (queue full, syslog unreachable) gives one daemon-log line per interval, not a flood.
 */
final class ReportGate {
    static final long DEFAULT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final long intervalNanos;
    private final LongSupplier clock;
    private final AtomicLong next;

    ReportGate() {
        this(DEFAULT_INTERVAL_NANOS, System::nanoTime);
    }

    ReportGate(long intervalNanos, LongSupplier clock) {
        this.intervalNanos = intervalNanos;
        this.clock = clock;
        this.next = new AtomicLong(clock.getAsLong());
    }

    /** True for the first call, then for the first call at least one interval after the last true. */
    boolean tryPass() {
        long now = clock.getAsLong();
        long due = next.get();
        return now - due >= 0 && next.compareAndSet(due, now + intervalNanos);
    }
}
