package org.keyinitd.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 200 login processes open sessions at once against one daemon, hold them, close them; a few
 * rounds. Every open and close succeeds, every keyring is revoked, the users' key counts return
 * to where they were, and the daemon leaks neither descriptors nor threads.
 */
class ConcurrencyIT {
    static final int PROCESSES = 200;
    static final int USERS = 10;
    static final int ROUNDS = 3;
    /** Per PAM call; a login that waits this long has hung, it is not just slow. */
    static final int TIMEOUT_MS = 60_000;

    @TempDir
    static Path dir;
    static TestUsers users;
    static List<TestUsers.User> people = new ArrayList<>();
    static DaemonProcess daemon;
    static PamHarness pam;

    @BeforeAll
    static void start() throws Exception {
        Root.require();
        users = new TestUsers();
        for (int i = 0; i < USERS; i++) {
            people.add(users.create());
        }
        daemon = DaemonProcess.start(dir.resolve("daemon"), "");
        pam = new PamHarness(dir.resolve("pam.d"));
        // 200 processes on a shared 2-core machine: the module's default 1 s is a production
        // setting, not what this test is about (leaks and correctness), so give each call plenty.
        pam.service("login", "session required MODULE socket=" + daemon.socket() + " timeout=" + TIMEOUT_MS
                + " on_error=fail force revoke");
    }

    @AfterAll
    static void stop() throws Exception {
        Fixtures.closeAll(daemon, users);
    }

    @Test
    void twoHundredConcurrentSessionsForSeveralRoundsLeakNothing() throws Exception {
        int[] baseline = new int[USERS];
        round(); // warm up: the users' own keyrings exist, the daemon's pools have grown
        for (int i = 0; i < USERS; i++) {
            baseline[i] = CrashIT.settledQuotaKeys(people.get(i));
        }
        long fds = fds();
        long threads = daemon.procStatus("Threads");

        for (int r = 0; r < ROUNDS; r++) {
            round();
        }

        for (int i = 0; i < USERS; i++) {
            assertThat(CrashIT.settledQuotaKeys(people.get(i))).as("keys of " + people.get(i).name())
                    .isEqualTo(baseline[i]);
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while ((fds() > fds || daemon.procStatus("Threads") > threads) && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(fds()).as("open descriptors of the daemon").isLessThanOrEqualTo(fds);
        assertThat(daemon.procStatus("Threads")).as("threads of the daemon").isLessThanOrEqualTo(threads);
    }

    /** PROCESSES logins open at once, all hold, then all close; every step must succeed. */
    private static void round() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(50);
        try {
            List<Future<PamHarness.Live>> starting = new ArrayList<>();
            for (int i = 0; i < PROCESSES; i++) {
                TestUsers.User u = people.get(i % USERS);
                starting.add(pool.submit(() -> pam.start("login", u.name())));
            }
            List<PamHarness.Live> live = new ArrayList<>();
            for (Future<PamHarness.Live> f : starting) {
                live.add(f.get());
            }
            for (PamHarness.Live l : live) {
                assertThat(l.soFar().getInt("open_rc")).as(l.soFar().output()).isZero();
            }
            List<Future<PamHarness.Result>> finishing = new ArrayList<>();
            for (PamHarness.Live l : live) {
                finishing.add(pool.submit(l::finish));
            }
            for (Future<PamHarness.Result> f : finishing) {
                PamHarness.Result r = f.get();
                assertThat(r.getInt("close_rc")).as(r.output()).isZero();
                assertThat(r.state(r.getInt("ses"))).isEqualTo("revoked");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static long fds() throws Exception {
        try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(daemon.pid()), "fd"))) {
            return s.count();
        }
    }
}
