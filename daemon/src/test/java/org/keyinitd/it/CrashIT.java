package org.keyinitd.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keys die with their session however it dies, and a daemon restart forgets nothing: real
 * login processes killed with SIGKILL, the real daemon killed and restarted.
 */
class CrashIT {
    @TempDir
    static Path dir;
    static TestUsers users;
    static DaemonProcess daemon;
    static PamHarness pam;
    final List<PamHarness.Live> live = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        Root.require();
        users = new TestUsers();
        daemon = DaemonProcess.start(dir.resolve("daemon"), """
                [defaults]
                create = "always"
                revoke = true

                [[rule]]
                name = "daemonizing"
                match = { service = "daemonizing" }
                revoke_on_exit = false
                """);
        pam = new PamHarness(dir.resolve("pam.d"));
        for (String svc : List.of("login", "daemonizing")) {
            pam.service(svc, "session required MODULE socket=" + daemon.socket() + " on_error=fail");
        }
    }

    @AfterEach
    void killLeftovers() throws Exception {
        for (PamHarness.Live l : live) {
            l.kill();
        }
        live.clear();
    }

    @AfterAll
    static void stop() throws Exception {
        Fixtures.closeAll(daemon, users);
    }

    private PamHarness.Live open(String service, TestUsers.User user, String... extra) throws Exception {
        PamHarness.Live l = pam.start(service, user.name(), extra);
        live.add(l);
        return l;
    }

    @Test
    void killingTheLoginProcessRevokesItsKeyringWithinTwoSeconds() throws Exception {
        TestUsers.User u = users.create();
        PamHarness.Live login = open("login", u, "--tty", "pts/4");
        int ses = login.soFar().getInt("ses");
        assertThat(PolicyIT.keyringStateAsOwner(u, ses)).isEqualTo("alive");

        Instant killed = Instant.now();
        login.kill();
        JsonNode orphan = daemon.awaitAudit(n -> n.path("event").asText().equals("session.orphan")
                && n.path("keyring").asInt() == ses, 10);
        assertThat(orphan.get("outcome").asText()).isEqualTo("revoked");
        assertThat(orphan.get("pid").asLong()).isEqualTo(login.pid());
        assertThat(Duration.between(killed, Instant.parse(orphan.get("ts").asText())))
                .as("noticed through the pidfd, not by polling").isLessThan(Duration.ofSeconds(2));
        assertThat(PolicyIT.keyringStateAsOwner(u, ses)).isIn("revoked", "gone");
    }

    @Test
    void withRevokeOnExitFalseTheSessionOutlivesItsProcess() throws Exception {
        TestUsers.User u = users.create();
        PamHarness.Live login = open("daemonizing", u);
        int ses = login.soFar().getInt("ses");
        login.kill();
        JsonNode orphan = daemon.awaitAudit(n -> n.path("event").asText().equals("session.orphan")
                && n.path("keyring").asInt() == ses, 10);
        assertThat(orphan.get("outcome").asText()).isEqualTo("kept-open");
        assertThat(orphan.get("reason").asText()).contains("revoke_on_exit = false");
        assertThat(stateFiles()).anySatisfy(f -> assertThat(f).contains(orphan.get("session").asText()));
    }

    @Test
    void aDaemonKilledWithFiftyOpenSessionsLosesNone() throws Exception {
        TestUsers.User u = users.create();
        pam.run("login", u.name()); // make the user's own keyrings exist, so the baseline is stable
        int baseline = settledQuotaKeys(u);
        List<PamHarness.Live> logins = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            logins.add(open("login", u, "--nested", "10"));
        }
        assertThat(quotaKeys(u)).isGreaterThanOrEqualTo(baseline + 50);

        daemon.kill9();
        daemon.restart();
        assertThat(daemon.audit("daemon.start", "ok")).last()
                .satisfies(n -> assertThat(n.get("sessions_recovered").asInt()).isGreaterThanOrEqualTo(50));

        List<Integer> serials = new ArrayList<>();
        for (PamHarness.Live l : logins) {
            PamHarness.Result r = l.finish();
            assertThat(r.all("close_rc")).as(r.output()).hasSize(10).containsOnly("0");
            r.all("ses").forEach(s -> serials.add(Integer.parseInt(s)));
        }
        live.removeAll(logins);
        assertThat(serials).hasSize(50).doesNotHaveDuplicates();
        for (int serial : serials) {
            assertThat(daemon.audit("session.close", "revoked"))
                    .anySatisfy(n -> assertThat(n.get("keyring").asInt()).isEqualTo(serial));
        }
        assertThat(settledQuotaKeys(u)).as("no keyring leaked").isEqualTo(baseline);
    }

    @Test
    void aSessionWhoseProcessDiedWhileTheDaemonWasDownIsRevokedAtStart() throws Exception {
        TestUsers.User u = users.create();
        PamHarness.Live login = open("login", u);
        int ses = login.soFar().getInt("ses");
        daemon.kill9();
        login.kill();
        daemon.restart();
        JsonNode orphan = daemon.awaitAudit(n -> n.path("event").asText().equals("session.orphan")
                && n.path("keyring").asInt() == ses, 10);
        assertThat(orphan.get("outcome").asText()).isEqualTo("revoked");
        assertThat(orphan.get("reason").asText()).isEqualTo("process died while the daemon was down");
        assertThat(PolicyIT.keyringStateAsOwner(u, ses)).isIn("revoked", "gone");
    }

    @Test
    void aCorruptStateFileIsSkippedAndTheRestRecovered() throws Exception {
        TestUsers.User u = users.create();
        PamHarness.Live first = open("login", u);
        PamHarness.Live second = open("login", u);
        assertThat(daemon.stop()).as("SIGTERM: clean exit").isZero();

        String firstSession = sessionOf(first.soFar().getInt("ses"));
        Path firstFile = daemon.stateDir().resolve("sessions").resolve(firstSession + ".json");
        String json = Files.readString(firstFile);
        Files.writeString(firstFile, json.substring(0, json.length() / 3)); // truncated mid-write
        daemon.restart();
        assertThat(daemon.log()).contains("skipping corrupt session state file " + firstFile);
        assertThat(daemon.audit("session.recover", "corrupt"))
                .anySatisfy(n -> assertThat(n.get("file").asText()).isEqualTo(firstFile.toString()));

        PamHarness.Result r = second.finish();
        live.remove(second);
        assertThat(r.getInt("close_rc")).as(r.output()).isZero();
        assertThat(r.state(r.getInt("ses"))).isEqualTo("revoked");
    }

    @Test
    void aCleanRestartBetweenOpenAndCloseIsInvisibleToTheLogin() throws Exception {
        TestUsers.User u = users.create();
        PamHarness.Live login = open("login", u);
        assertThat(daemon.stop()).isZero();
        daemon.restart();
        PamHarness.Result r = login.finish();
        live.remove(login);
        assertThat(r.getInt("close_rc")).as(r.output()).isZero();
        assertThat(r.state(r.getInt("ses"))).isEqualTo("revoked");
    }

    @Test
    void aDaemonDownAtCloseStillEndsWithTheKeyringRevoked() throws Exception {
        TestUsers.User u = users.create();
        pam.service("fallback", "session required MODULE socket=" + daemon.socket() + " revoke");
        PamHarness.Live login = open("fallback", u);
        int ses = login.soFar().getInt("ses");
        String session = sessionOf(ses);
        assertThat(daemon.stop()).isZero();
        try {
            PamHarness.Result r = login.finish();
            live.remove(login);
            assertThat(r.getInt("close_rc")).as(r.output()).isZero();
            assertThat(r.state(ses)).as("revoked in-process by the module's fallback").isEqualTo("revoked");
        } finally {
            daemon.restart();
        }
        // The restarted daemon finds this session's keyring already revoked and forgets the session.
        JsonNode recovered = daemon.awaitAudit(n -> n.path("event").asText().equals("session.recover")
                && n.path("session").asText().equals(session), 10);
        assertThat(recovered.get("outcome").asText()).as(recovered.toString()).isEqualTo("gone");
        assertThat(recovered.get("keyring").asInt()).isEqualTo(ses);
        assertThat(recovered.get("user").asText()).isEqualTo(u.name());
        assertThat(stateFiles()).as("forgotten").noneMatch(f -> f.contains(session));
    }

    private static String sessionOf(int keyring) throws Exception {
        return daemon.awaitAudit(n -> n.path("event").asText().equals("session.open")
                && n.path("outcome").asText().equals("created") && n.path("keyring").asInt() == keyring, 10)
                .get("session").asText();
    }

    private static List<String> stateFiles() throws Exception {
        try (Stream<Path> s = Files.list(daemon.stateDir().resolve("sessions"))) {
            return s.map(Path::toString).toList();
        }
    }

    /** The charged key count once it has stopped changing (the kernel frees keys asynchronously). */
    static int settledQuotaKeys(TestUsers.User u) throws Exception {
        int last = quotaKeys(u);
        int same = 0;
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (same < 10 && System.nanoTime() < deadline) {
            Thread.sleep(50);
            int now = quotaKeys(u);
            same = now == last ? same + 1 : 0;
            last = now;
        }
        return last;
    }

    static int quotaKeys(TestUsers.User u) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/key-users"))) {
            String[] f = line.trim().split("\\s+");
            if (f[0].equals(u.uid() + ":")) {
                return Integer.parseInt(f[3].split("/")[0]);
            }
        }
        return 0;
    }
}
