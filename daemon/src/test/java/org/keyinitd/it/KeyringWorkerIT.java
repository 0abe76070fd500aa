package org.keyinitd.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.keyinitd.keyring.KeyringException;
import org.keyinitd.keyring.KeyringWorker;
import org.keyinitd.linux.Credentials;
import org.keyinitd.linux.Kernel;

/**
 * The credential-switching thread can never leak a changed uid into other work: a task that
 * leaves the thread's ids changed stops the worker, and it refuses all further keyring work.
 * Runs in this (root) JVM with the real per-thread syscalls.
 */
class KeyringWorkerIT {
    @BeforeAll
    static void root() {
        Root.require();
    }

    @Test
    void aTaskThatLeavesTheIdsChangedStopsTheWorker() throws Exception {
        Kernel kernel = new Kernel();
        KeyringWorker worker = new KeyringWorker(kernel, 16);
        worker.start(k -> null);
        Credentials mine = kernel.threadCredentials();

        // Well-behaved work that switches and switches back leaves the worker usable.
        Credentials inside = worker.call(k -> KeyringWorker.asUser(k, 65534, 65534, Kernel::threadCredentials), 5000);
        assertThat(inside.ruid()).isEqualTo(65534);
        assertThat(inside.euid()).isEqualTo(65534);
        assertThat(worker.isSafe()).isTrue();

        // A task that "forgets" to switch back: the worker notices before reporting, fails the
        // task itself and stops.
        assertThatThrownBy(() -> worker.call(k -> {
            k.setresuid(65534, 65534, 0);
            return null;
        }, 5000)).isInstanceOf(KeyringException.class).hasMessageContaining("keyring worker stopped");
        assertThat(worker.isSafe()).isFalse();
        assertThatThrownBy(() -> worker.call(Kernel::threadCredentials, 5000))
                .isInstanceOf(KeyringException.class).hasMessageContaining("keyring worker stopped")
                .hasMessageContaining("differ");
        // Only the worker thread's ids ever changed: this thread is untouched.
        assertThat(kernel.threadCredentials()).isEqualTo(mine);
        worker.close();
    }

    @Test
    void aTaskThatTimesOutInTheQueueNeverRuns() throws Exception {
        Kernel kernel = new Kernel();
        KeyringWorker worker = new KeyringWorker(kernel, 16);
        int own = worker.start(k -> k.joinSessionKeyring(null));
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CompletableFuture<Void> blocker = java.util.concurrent.CompletableFuture.runAsync(() -> {
            try {
                worker.call(k -> {
                    running.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return null;
                }, 60_000);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        // Only once the worker really is busy (runAsync may not even have submitted it yet).
        assertThat(running.await(30, java.util.concurrent.TimeUnit.SECONDS)).as("blocking task started").isTrue();
        try {
            // The worker is busy: this task waits in the queue past its caller's timeout.
            assertThatThrownBy(() -> worker.call(k -> k.addKeyring("kit-too-late", own), 200))
                    .isInstanceOf(KeyringException.class).hasMessageContaining("abandoned");
        } finally {
            release.countDown();
        }
        blocker.get();
        // The worker is free again; had the abandoned task run, its keyring would be here now.
        int[] linked = worker.call(k -> k.readKeyring(own), 5000);
        java.util.List<String> names = new java.util.ArrayList<>();
        for (int key : linked) {
            names.add(worker.call(k -> k.describe(key), 5000));
        }
        assertThat(names).noneMatch(d -> d.endsWith(";kit-too-late"));
        // And a task that is not abandoned still runs.
        int made = worker.call(k -> k.addKeyring("kit-in-time", own), 5000);
        String described = worker.call(k -> k.describe(made), 5000);
        assertThat(described).endsWith(";kit-in-time");
        worker.close();
    }
}
