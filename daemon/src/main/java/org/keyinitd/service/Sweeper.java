package org.keyinitd.service;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one sweep at a fixed delay on a daemon thread of its own name. A sweep that throws is
 * logged and the next one runs as planned: a failure never stops the sweeping.
 */
final class Sweeper implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Sweeper.class);

    private final ScheduledExecutorService timer;
    private final String name;

    Sweeper(String name) {
        this.name = name;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    void every(long millis, Runnable sweep) {
        timer.scheduleWithFixedDelay(() -> {
            try {
                sweep.run();
            } catch (RuntimeException e) {
                log.error("{} sweep failed; trying again in {} ms", name, millis, e);
            }
        }, millis, millis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
