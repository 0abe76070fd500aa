package org.keyinitd.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.keyinitd.server.SocketServer;

/**
 * A restart under continuous logins, as {@code keyinitd-jsvc restart} (and so a package upgrade
 * without systemd) does it: the restart marker makes the stopping daemon leave its socket; a
 * login meanwhile is refused, retries within its deadline (the module's default) and is served
 * by the next daemon, which renames its socket over the old one. No login falls back. Without
 * the marker a stop is a stop: the socket goes, and a login falls back (and is recorded); and a
 * daemon that died is not waited for: its refusing socket makes the login fall back at once.
 */
class RestartIT {
    @TempDir
    static Path dir;
    static TestUsers users;
    static PamHarness pam;

    @BeforeAll
    static void setUp() throws Exception {
        Root.require();
        users = new TestUsers();
        pam = new PamHarness(dir.resolve("pam.d"));
    }

    @AfterAll
    static void tearDown() throws Exception {
        Fixtures.closeAll(users);
    }

    @Test
    void noLoginFallsBackAcrossARestartEvenOneThatBeginsWhileNoDaemonRuns() throws Exception {
        TestUsers.User u = users.create();
        try (DaemonProcess daemon = DaemonProcess.start(dir.resolve("a"), "");
             Logins logins = new Logins(u, 3)) {
            // the package's line: the module's own default timeout
            pam.service("login", "session optional MODULE socket=" + daemon.socket() + " revoke");
            logins.start();
            logins.awaitAtLeast(15);

            Path marker = daemon.socket().resolveSibling(SocketServer.RESTART_MARKER);
            Files.createFile(marker);
            assertThat(daemon.stop()).isZero();
            assertThat(daemon.socket()).as("left for the next daemon").exists();
            assertThat(daemon.log()).contains("leaving socket");
            Future<PamHarness.Result> inTheGap = logins.pool.submit(() -> pam.run("login", u.name()));
            daemon.restart();
            Files.delete(marker);
            int before = logins.done();
            logins.awaitAtLeast(before + 15);
            logins.stop();

            PamHarness.Result gap = inTheGap.get(60, TimeUnit.SECONDS);
            assertThat(gap.getInt("open_rc")).as(gap.output()).isZero();
            assertThat(gap.get("ses_desc")).as("served by the new daemon: " + gap.output()).contains(";keyinitd.");
            List<PamHarness.Result> all = logins.results();
            assertThat(all).allSatisfy(r -> {
                assertThat(r.getInt("open_rc")).as(r.output()).isZero();
                assertThat(r.get("ses_desc")).as("a daemon keyring, not a fallback: " + r.output())
                        .contains(";keyinitd.");
                assertThat(r.getInt("close_rc")).as(r.output()).isZero();
            });
            assertThat(daemon.audit().stream().filter(n -> n.path("event").asText().equals("session.fallback")))
                    .isEmpty();
            assertThat(daemon.socket().resolveSibling("fallback")).isEmptyDirectory();
        }
    }

    @Test
    void aStopWithoutTheMarkerTakesTheSocketAwaySoALoginFallsBack() throws Exception {
        TestUsers.User u = users.create();
        try (DaemonProcess daemon = DaemonProcess.start(dir.resolve("b"), "")) {
            pam.service("stopped", "session optional MODULE socket=" + daemon.socket() + " revoke");
            assertThat(daemon.stop()).isZero();
            assertThat(daemon.socket()).doesNotExist();
            PamHarness.Result r = pam.run("stopped", u.name());
            assertThat(r.getInt("open_rc")).as(r.output()).isZero();
            assertThat(r.get("ses_desc")).as("the in-process fallback").doesNotContain("keyinitd.");
            assertThat(daemon.socket().resolveSibling("fallback")).isNotEmptyDirectory();
        }
    }

    @Test
    void aDaemonThatDiedIsNotWaitedFor() throws Exception {
        TestUsers.User u = users.create();
        try (DaemonProcess daemon = DaemonProcess.start(dir.resolve("c"), "");
             SyslogCapture syslog = new SyslogCapture(dir)) {
            pam.service("crashed", "session optional MODULE socket=" + daemon.socket() + " revoke");
            daemon.kill9();
            assertThat(daemon.socket()).as("a killed daemon leaves its socket").exists();
            PamHarness.Result r = pam.run(syslog, "crashed", u.name());
            assertThat(r.getInt("open_rc")).as(r.output()).isZero();
            List<String> said = syslog.matching("fell back to in-process keyring");
            assertThat(said).hasSize(1);
            // no restart marker: the refusal is final at once, not retried until the 5 s deadline
            assertThat(said.get(0)).contains("Connection refused").doesNotContain("did not answer within");
        }
    }

    /** Logins in a loop on a few threads, each a fresh harness process, until stopped. */
    static final class Logins implements AutoCloseable {
        final ExecutorService pool = Executors.newCachedThreadPool();
        private final TestUsers.User user;
        private final int threads;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<PamHarness.Result> results = Collections.synchronizedList(new ArrayList<>());
        private final List<Future<?>> loops = new ArrayList<>();

        Logins(TestUsers.User user, int threads) {
            this.user = user;
            this.threads = threads;
        }

        void start() {
            for (int i = 0; i < threads; i++) {
                loops.add(pool.submit(() -> {
                    while (running.get()) {
                        PamHarness.Result r = pam.run("login", user.name());
                        synchronized (results) {
                            results.add(r);
                            results.notifyAll();
                        }
                    }
                    return null;
                }));
            }
        }

        int done() {
            return results.size();
        }

        void awaitAtLeast(int n) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            synchronized (results) {
                while (results.size() < n) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new AssertionError("only " + results.size() + " of " + n + " logins in 120 s");
                    }
                    results.wait(TimeUnit.NANOSECONDS.toMillis(left) + 1);
                }
            }
        }

        void stop() throws Exception {
            running.set(false);
            for (Future<?> f : loops) {
                f.get(120, TimeUnit.SECONDS);
            }
        }

        List<PamHarness.Result> results() {
            synchronized (results) {
                return List.copyOf(results);
            }
        }

        @Override
        public void close() {
            running.set(false);
            pool.shutdownNow();
        }
    }
}
