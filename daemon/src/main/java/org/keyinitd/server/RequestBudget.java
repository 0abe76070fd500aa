package org.keyinitd.server;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * How much non-root peers may make the daemon write. Every frame from a non-root peer other than
 * a well-formed PING, and every framing complaint about one, costs a token: from the peer's uid's
 * bucket and from one bucket shared by all non-root uids. Without a token the frame is answered
 * BUSY and closed, and nothing is written but a count; {@link #drain} turns the counts into one
 * summary ("N more refused requests from uid U in the last T s"). Root peers (the login programs,
 * keyinitctl) never pay. Numbers and the resulting log budget: docs/security.md, "Noise budget".
 */
public final class RequestBudget {
    public static final int PER_UID_BURST = 20;
    public static final int GLOBAL_BURST = 100;
    /** One token back every 6 s: 10 per minute, per uid and for all non-root uids together. */
    public static final long REFILL_NANOS = TimeUnit.SECONDS.toNanos(6);
    /** How many uids a summary names one by one; the rest are added up. */
    public static final int SUMMARY_UIDS = 10;

    /** Requests refused for lack of a token since the last summary: per uid, and the window. */
    public record Summary(long seconds, List<Limited> uids, long otherUids, long otherCount) {
        public long total() {
            return uids.stream().mapToLong(Limited::count).sum() + otherCount;
        }
    }

    public record Limited(long uid, long count) {
    }

    private static final class Bucket {
        private final int burst;
        private double tokens;
        private long at;

        Bucket(int burst, long now) {
            this.burst = burst;
            this.tokens = burst;
            this.at = now;
        }

        void refill(long now) {
            tokens = Math.min(burst, tokens + (double) (now - at) / REFILL_NANOS);
            at = now;
        }

        boolean full() {
            return tokens >= burst;
        }
    }

    private final LongSupplier clock;
    private final Bucket global;
    private final Map<Long, Bucket> perUid = new HashMap<>();
    private final Map<Long, Long> refused = new HashMap<>();
    private long windowStart;

    public RequestBudget() {
        this(System::nanoTime);
    }

    RequestBudget(LongSupplier clock) {
        this.clock = clock;
        long now = clock.getAsLong();
        this.global = new Bucket(GLOBAL_BURST, now);
        this.windowStart = now;
    }

    /** Takes a token for {@code uid} (root never pays); false, and counted, when there is none. */
    public synchronized boolean admit(long uid) {
        if (uid == 0) {
            return true;
        }
        long now = clock.getAsLong();
        global.refill(now);
        Bucket mine = perUid.computeIfAbsent(uid, u -> new Bucket(PER_UID_BURST, now));
        mine.refill(now);
        if (mine.tokens >= 1 && global.tokens >= 1) {
            mine.tokens--;
            global.tokens--;
            return true;
        }
        refused.merge(uid, 1L, Long::sum);
        return false;
    }

    /** The refusals since the last call (empty when there were none), and starts a new window. */
    public synchronized java.util.Optional<Summary> drain() {
        long now = clock.getAsLong();
        long seconds = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(now - windowStart));
        windowStart = now;
        perUid.values().forEach(b -> b.refill(now));
        perUid.values().removeIf(Bucket::full); // idle uids cost no memory
        if (refused.isEmpty()) {
            return java.util.Optional.empty();
        }
        List<Limited> all = new ArrayList<>();
        refused.forEach((uid, n) -> all.add(new Limited(uid, n)));
        refused.clear();
        all.sort(Comparator.comparingLong(Limited::count).reversed().thenComparingLong(Limited::uid));
        List<Limited> named = List.copyOf(all.subList(0, Math.min(SUMMARY_UIDS, all.size())));
        long otherCount = all.subList(named.size(), all.size()).stream().mapToLong(Limited::count).sum();
        return java.util.Optional.of(new Summary(seconds, named, all.size() - named.size(), otherCount));
    }
}
