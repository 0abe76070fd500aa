package org.keyinitd.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Policy rules, through the real PAM stack against the real daemon. */
class PolicyIT {
    @TempDir
    static Path dir;
    static TestUsers users;
    static TestUsers.User alice;
    static TestUsers.User carol;
    static DaemonProcess daemon;
    static PamHarness pam;
    static String rules;

    @BeforeAll
    static void start() throws Exception {
        Root.require();
        users = new TestUsers();
        alice = users.create();
        carol = users.create();
        rules = """
                [[rule]]
                name = "persistent"
                match = { service = "persist" }
                create = "always"
                revoke = true
                link_persistent_keyring = true

                [[rule]]
                name = "hands-off"
                match = { service = "cron" }
                create = "never"

                [[rule]]
                name = "limited"
                match = { service = "limited" }
                create = "always"
                max_sessions_per_user = 2

                [[rule]]
                name = "tmux-friendly"
                match = { service = "tmuxish" }
                create = "always"
                revoke = "when-unused"
                """;
        daemon = DaemonProcess.start(dir.resolve("daemon"), rules);
        pam = new PamHarness(dir.resolve("pam.d"));
        String line = "session required MODULE socket=" + daemon.socket() + " on_error=fail";
        for (String svc : List.of("persist", "cron", "limited", "tmuxish", "login")) {
            pam.service(svc, line);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        Fixtures.closeAll(daemon, users);
    }

    @Test
    void thePersistentKeyringIsLinkedWhenARuleAsks() throws Exception {
        PamHarness.Result r = pam.run("persist", alice.name(), "--exec", "keyctl show @s");
        assertThat(r.getInt("open_rc")).as(r.output()).isZero();
        assertThat(r.output()).contains("_persistent." + alice.uid()).contains("_uid." + alice.uid());
        JsonNode open = daemon.audit("session.open", "created").stream()
                .filter(n -> n.get("keyring").asInt() == r.getInt("ses")).findFirst().orElseThrow();
        assertThat(open.get("rule").asText()).isEqualTo("persistent");
        assertThat(r.state(r.getInt("ses"))).isEqualTo("revoked");
    }

    @Test
    void neverLeavesTheKeyringAlone() throws Exception {
        PamHarness.Result r = pam.run("cron", alice.name(), "--session-state", "own");
        assertThat(r.getInt("open_rc")).as(r.output()).isZero();
        assertThat(r.getInt("ses")).isEqualTo(r.getInt("before_ses"));
        assertThat(r.state(r.getInt("ses"))).isEqualTo("alive");
        assertThat(daemon.audit("session.open", "skipped"))
                .anySatisfy(n -> assertThat(n.get("rule").asText()).isEqualTo("hands-off"));
    }

    @Test
    void overMaxSessionsPerUserIsDeniedAndAudited() throws Exception {
        PamHarness.Result r = pam.run("limited", carol.name(), "--nested", "3");
        assertThat(r.all("open_rc")).as(r.output()).containsExactly("0", "0", Integer.toString(PamHarness.PAM_SESSION_ERR));
        JsonNode denied = daemon.audit("session.open", "denied").stream()
                .filter(n -> n.get("user").asText().equals(carol.name())).findFirst().orElseThrow();
        assertThat(denied.get("rule").asText()).isEqualTo("limited");
        assertThat(denied.get("reason").asText()).contains("already has 2 open sessions");
        // Once closed, the slots are free again.
        PamHarness.Result again = pam.run("limited", carol.name(), "--nested", "2");
        assertThat(again.all("open_rc")).as(again.output()).containsExactly("0", "0");
    }

    @Test
    void whenUnusedWaitsForTheLastHolderThenRevokes() throws Exception {
        Path drop = dir.resolve("drop");
        Files.createDirectories(drop);
        Files.setPosixFilePermissions(drop, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path proof = drop.resolve("added");
        Path go = drop.resolve("go");
        // A process left running in the session (like a tmux server) uses the keyring after logout:
        // it waits for the go file, which the test makes once the close has been deferred.
        PamHarness.Result r = pam.run("tmuxish", alice.name(),
                "--detach", AdminIT.awaitInShell(go) + "keyctl add user after-logout v @s > " + proof);
        assertThat(r.getInt("open_rc")).as(r.output()).isZero();
        assertThat(r.getInt("close_rc")).isZero();
        int ses = r.getInt("ses");
        assertThat(r.state(ses)).as("not revoked at close: someone still holds it").isEqualTo("alive");
        assertThat(keyringStateAsOwner(alice, ses)).isEqualTo("alive");
        JsonNode deferred = daemon.awaitAudit(n -> n.path("event").asText().equals("session.close")
                && n.path("outcome").asText().equals("deferred") && n.path("keyring").asInt() == ses, 5);
        String session = deferred.get("session").asText();
        Files.createFile(go);

        JsonNode revoked = daemon.awaitAudit(n -> n.path("event").asText().equals("session.revoke")
                && n.path("session").asText().equals(session), 15);
        assertThat(revoked.get("outcome").asText()).isEqualTo("revoked");
        assertThat(revoked.get("reason").asText()).isEqualTo("last holder gone");
        assertThat(Files.readString(proof).trim()).as("the detached process used the keyring after logout")
                .matches("\\d+");
        // Dead either way: revoked, or already freed by the kernel once nothing referenced it.
        assertThat(keyringStateAsOwner(alice, ses)).isIn("revoked", "gone");
    }

    @Test
    void aBrokenReloadKeepsTheRunningRules() throws Exception {
        daemon.writeConfig(rules + "\n[[rule]]\nname = \"broken\"\ncreate = \"sometimes\"\n");
        JsonNode rejected = daemon.reload();
        assertThat(rejected.get("outcome").asText()).isEqualTo("rejected");
        assertThat(rejected.get("reason").asText()).contains("rule[5].create").contains("sometimes");
        // The running rules still apply: cron is still hands-off.
        PamHarness.Result r = pam.run("cron", carol.name());
        assertThat(r.getInt("ses")).isEqualTo(r.getInt("before_ses"));

        daemon.writeConfig(rules.replace("create = \"never\"", "create = \"always\""));
        assertThat(daemon.reload().get("outcome").asText()).isEqualTo("ok");
        PamHarness.Result after = pam.run("cron", carol.name());
        assertThat(after.getInt("ses")).as("the valid reload applies to the next login")
                .isNotEqualTo(after.getInt("before_ses"));
        daemon.writeConfig(rules);
        assertThat(daemon.reload().get("outcome").asText()).isEqualTo("ok");
    }

    @Test
    void checkConfigAndExplainFromTheCommandLine() throws Exception {
        Commands.Result ok = keyinitd("--config", daemon.config().toString(), "--check-config");
        assertThat(ok.exit()).as(ok.output()).isZero();
        assertThat(ok.output()).contains("OK (4 rules)");

        Path bad = dir.resolve("bad.toml");
        Files.writeString(bad, "[[rule]]\nname = \"x\"\nmatch = { rhost = \"10.0.0.0/99\" }\n");
        Commands.Result err = keyinitd("--config", bad.toString(), "--check-config");
        assertThat(err.exit()).isEqualTo(3);
        assertThat(err.output()).contains(bad + ":3: rule[1].match.rhost: '10.0.0.0/99': prefix length must be 0-32");

        Commands.Result explain = keyinitd("--config", daemon.config().toString(), "--explain",
                "user=" + alice.name(), "service=persist", "tty=pts/1", "rhost=10.0.0.5");
        assertThat(explain.exit()).as(explain.output()).isZero();
        // --explain names the file and line of the rule and of each value it set
        assertThat(explain.output()).contains("matched: rule \"persistent\" (1 of 4, " + daemon.config() + ":4)")
                .containsPattern("link_persistent_keyring\\s+true\\s+\\(rule persistent "
                        + java.util.regex.Pattern.quote(daemon.config() + ":9") + "\\)")
                .containsPattern("owner\\s+user\\s+\\(built-in default\\)")
                .contains("uid=" + alice.uid());
    }

    private static Commands.Result keyinitd(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                DaemonProcess.jar().toString()));
        cmd.addAll(List.of(args));
        return Commands.run(cmd);
    }

    /** The keyring's state as its owner sees it from outside the session (keyctl as that user). */
    static String keyringStateAsOwner(TestUsers.User user, int serial) throws Exception {
        Commands.Result r = Commands.run(List.of("setpriv", "--reuid", Long.toString(user.uid()), "--regid",
                Long.toString(user.gid()), "--clear-groups", "keyctl", "rdescribe", Integer.toString(serial)));
        if (r.output().contains("revoked")) {
            return "revoked";
        }
        if (r.output().contains("Required key not available")) {
            return "gone";
        }
        return r.exit() == 0 ? "alive" : r.output().trim();
    }
}
