package org.keyinitd.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** keyinitctl against the real daemon, with real PAM sessions. */
class AdminIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static TestUsers users;
    static DaemonProcess daemon;
    static PamHarness pam;
    static Path textfile;
    final List<PamHarness.Live> live = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        Root.require();
        users = new TestUsers();
        textfile = dir.resolve("metrics").resolve("keyinitd.prom");
        Files.createDirectories(textfile.getParent());
        daemon = DaemonProcess.start(dir.resolve("daemon"), """
                [defaults]
                create = "always"
                revoke = true

                [metrics]
                textfile = "%s"
                interval_ms = 1000
                """.formatted(textfile));
        pam = new PamHarness(dir.resolve("pam.d"));
        pam.service("sshd", "session required MODULE socket=" + daemon.socket() + " on_error=fail");
    }

    @AfterEach
    void finishLeftovers() throws Exception {
        for (PamHarness.Live l : live) {
            l.kill();
        }
        live.clear();
    }

    @AfterAll
    static void stop() throws Exception {
        Fixtures.closeAll(daemon, users);
    }

    private PamHarness.Live open(TestUsers.User u, String... extra) throws Exception {
        PamHarness.Live l = pam.start("sshd", u.name(), extra);
        live.add(l);
        return l;
    }

    @Test
    void sessionsListsWhatPamOpened() throws Exception {
        TestUsers.User alice = users.create();
        TestUsers.User bob = users.create();
        PamHarness.Live a1 = open(alice, "--tty", "pts/1", "--rhost", "192.0.2.1");
        PamHarness.Live a2 = open(alice, "--tty", "pts/2", "--rhost", "192.0.2.2");
        PamHarness.Live b1 = open(bob, "--tty", "pts/3");

        Commands.Result r = Ctl.run(daemon.socket(), "sessions", "--json");
        assertThat(r.exit()).as(r.output()).isZero();
        JsonNode list = JSON.readTree(r.output());
        for (PamHarness.Live l : List.of(a1, a2, b1)) {
            int ses = l.soFar().getInt("ses");
            JsonNode n = find(list, ses);
            assertThat(n.get("pid").asLong()).isEqualTo(l.pid());
            assertThat(n.get("service").asText()).isEqualTo("sshd");
            assertThat(n.get("state").asText()).isEqualTo("open");
            assertThat(n.get("session").asText()).matches("[0-9a-f]{32}");
        }
        assertThat(find(list, a1.soFar().getInt("ses")).get("user").asText()).isEqualTo(alice.name());
        assertThat(find(list, a2.soFar().getInt("ses")).get("rhost").asText()).isEqualTo("192.0.2.2");
        assertThat(find(list, b1.soFar().getInt("ses")).get("tty").asText()).isEqualTo("pts/3");

        Commands.Result onlyBob = Ctl.run(daemon.socket(), "sessions", "--user", bob.name(), "--json");
        assertThat(JSON.readTree(onlyBob.output())).hasSize(1);

        Commands.Result table = Ctl.run(daemon.socket(), "sessions", "--user", alice.name());
        assertThat(table.exit()).isZero();
        List<String> lines = table.output().lines().toList();
        assertThat(lines.get(0)).startsWith("SESSION").contains("USER").contains("KEYRING").contains("AGE");
        assertThat(lines).filteredOn(l -> l.contains(alice.name())).hasSize(2);
        assertThat(lines.get(lines.size() - 1)).isEqualTo("2 sessions");
        // aligned: every row's USER column starts where the header's does
        int userColumn = lines.get(0).indexOf("USER");
        assertThat(lines.subList(1, 3)).allSatisfy(l -> assertThat(l.substring(userColumn)).startsWith(alice.name()));
    }

    @Test
    void revokeUserKillsExactlyThatUsersKeyrings() throws Exception {
        TestUsers.User alice = users.create();
        TestUsers.User bob = users.create();
        Path drop = dir.resolve("drop-" + alice.name());
        Files.createDirectories(drop);
        Files.setPosixFilePermissions(drop, PosixFilePermissions.fromString("rwxrwxrwx"));
        // Each session leaves a process behind that looks at its session keyring from inside once
        // the revoke is done (the go file; the loop only bounds a test that never gets there).
        Path go = drop.resolve("go");
        String probe = awaitInShell(go) + "keyctl rdescribe @s > " + drop + "/%s 2>&1";
        PamHarness.Live a1 = open(alice, "--detach", probe.formatted("a1"));
        PamHarness.Live a2 = open(alice, "--detach", probe.formatted("a2"));
        PamHarness.Live b1 = open(bob, "--detach", probe.formatted("b1"));

        Commands.Result r = Ctl.run(daemon.socket(), "revoke", "--user", alice.name(), "--reason", "account compromised");
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).startsWith("revoked 2 sessions");
        Files.createFile(go);

        for (String f : List.of("a1", "a2", "b1")) {
            awaitFile(drop.resolve(f));
        }
        assertThat(Files.readString(drop.resolve("a1"))).contains("Key has been revoked");
        assertThat(Files.readString(drop.resolve("a2"))).contains("Key has been revoked");
        assertThat(Files.readString(drop.resolve("b1"))).startsWith("keyring;" + bob.uid() + ";");

        assertThat(daemon.audit("admin.revoke", "revoked")).filteredOn(n -> n.get("user").asText().equals(alice.name()))
                .hasSize(2).allSatisfy(n -> {
                    assertThat(n.get("reason").asText()).isEqualTo("account compromised");
                    assertThat(n.get("peer_uid").asLong()).isZero();
                    assertThat(n.has("peer_auid")).as("the admin's login uid").isTrue();
                    assertThat(n.get("peer_pid").asLong()).isPositive();
                });
        JsonNode listed = JSON.readTree(Ctl.run(daemon.socket(), "sessions", "--user", alice.name(), "--json").output());
        assertThat(listed).hasSize(2).allSatisfy(n -> assertThat(n.get("state").asText()).isEqualTo("revoked"));

        // The logins then close normally, and their listing ends.
        for (PamHarness.Live l : List.of(a1, a2)) {
            assertThat(l.finish().getInt("close_rc")).isZero();
            live.remove(l);
        }
        assertThat(JSON.readTree(Ctl.run(daemon.socket(), "sessions", "--user", alice.name(), "--json").output()))
                .isEmpty();
        assertThat(PolicyIT.keyringStateAsOwner(bob, b1.soFar().getInt("ses"))).isEqualTo("alive");
    }

    @Test
    void nonRootIsDeniedAndAudited() throws Exception {
        TestUsers.User mallory = users.create();
        Commands.Result r = Ctl.runAs(mallory, daemon.socket(), "revoke", "--all");
        assertThat(r.exit()).as(r.output()).isEqualTo(1);
        assertThat(r.output()).contains("permission denied");
        assertThat(daemon.audit("admin.denied", "denied")).anySatisfy(n -> {
            assertThat(n.get("peer_uid").asLong()).isEqualTo(mallory.uid());
            assertThat(n.get("op").asText()).isEqualTo("REVOKE");
        });
    }

    @Test
    void statusReportsSessionsCountersAndLatency() throws Exception {
        TestUsers.User u = users.create();
        pam.run("sshd", u.name());
        open(u);
        Commands.Result r = Ctl.run(daemon.socket(), "status", "--json");
        assertThat(r.exit()).as(r.output()).isZero();
        JsonNode s = JSON.readTree(r.output());
        assertThat(s.get("version").asText()).isNotBlank();
        assertThat(s.get("pid").asLong()).isEqualTo(daemon.pid());
        assertThat(s.get("config").asText()).isEqualTo(daemon.config().toString());
        assertThat(s.path("sessions").get("open").asLong()).isGreaterThanOrEqualTo(1);
        assertThat(s.path("counters").get("opens").asLong()).isGreaterThanOrEqualTo(2);
        assertThat(s.path("counters").get("closes").asLong()).isGreaterThanOrEqualTo(1);
        assertThat(s.path("latency").path("open").get("count").asLong()).isGreaterThanOrEqualTo(2);
        assertThat(s.path("latency").path("open").get("p50_us").asLong()).isPositive();

        Commands.Result human = Ctl.run(daemon.socket(), "status");
        assertThat(human.output()).startsWith("keyinitd ").contains("sessions:").contains("latency:").contains("p99");
    }

    @Test
    void reloadAndCheckConfig() throws Exception {
        Commands.Result ok = Ctl.run(daemon.socket(), "reload");
        assertThat(ok.exit()).as(ok.output()).isZero();
        assertThat(ok.output()).contains("reloaded");

        String good = Files.readString(daemon.config());
        try {
            Files.writeString(daemon.config(), good + "\n[defaults]\nowner = \"nobody\"\n");
            Commands.Result bad = Ctl.run(daemon.socket(), "reload");
            assertThat(bad.exit()).isEqualTo(1);
            assertThat(bad.output()).contains("rejected").contains(daemon.config().toString());
            Commands.Result check = Ctl.run(daemon.socket(), "check-config", daemon.config().toString());
            assertThat(check.exit()).isEqualTo(3);
        } finally {
            Files.writeString(daemon.config(), good);
        }
        assertThat(Ctl.run(daemon.socket(), "check-config", daemon.config().toString()).exit()).isZero();
    }

    @Test
    void unreachableDaemonAndUsageErrorsHaveTheirOwnExitCodes() throws Exception {
        assertThat(Ctl.run(dir.resolve("nothing.sock"), "status").exit()).isEqualTo(4);
        Commands.Result usage = Ctl.run(daemon.socket(), "revoke");
        assertThat(usage.exit()).isEqualTo(2);
        assertThat(usage.output()).contains("--session").contains("--user").contains("--all");
        Commands.Result help = Ctl.run(daemon.socket(), "revoke", "--help");
        assertThat(help.exit()).isZero();
        assertThat(help.output()).contains("--reason");
    }

    @Test
    void textfileMetricsParse() throws Exception {
        TestUsers.User u = users.create();
        pam.run("sshd", u.name());
        long deadline = System.nanoTime() + 5_000_000_000L;
        String text = "";
        while (System.nanoTime() < deadline) {
            text = Files.exists(textfile) ? Files.readString(textfile) : "";
            if (text.contains("event=\"session.close\"")) {
                break;
            }
            Thread.sleep(100);
        }
        Pattern sample = Pattern.compile("[a-z_]+(\\{[a-z_]+=\"[^\"]*\"(,[a-z_]+=\"[^\"]*\")*})? -?[0-9.]+(e[-+]?[0-9]+)?");
        for (String line : text.lines().toList()) {
            if (!line.startsWith("#")) {
                assertThat(line).matches(sample);
            }
        }
        assertThat(text).contains("# TYPE keyinitd_events_total counter")
                .containsPattern("keyinitd_events_total\\{event=\"session.open\",outcome=\"created\"} [1-9]")
                .contains("keyinitd_sessions{state=\"open\"}")
                .contains("keyinitd_request_duration_seconds{op=\"open\",quantile=\"0.99\"}");
    }

    private static JsonNode find(JsonNode list, int keyring) {
        for (JsonNode n : list) {
            if (n.get("keyring").asInt() == keyring) {
                return n;
            }
        }
        throw new AssertionError("no session with keyring " + keyring + " in " + list);
    }

    /** Shell that waits (at most 60 s) until {@code f} exists; what a detached probe runs first. */
    static String awaitInShell(Path f) {
        return "i=0; while [ ! -e " + f + " ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done; ";
    }

    private static void awaitFile(Path f) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!(Files.exists(f) && Files.size(f) > 0) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(f).exists();
    }
}
