package org.keyinitd.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Logins that 0.1 got wrong: root's, logins started from a dead session keyring, pam_setcred plus
 * pam_open_session in one login, the module listed twice in one stack, and a daemon that stalls
 * while logins give up on it. Real daemon, libpam, module and keyrings.
 */
class LoginStatesIT {
    @TempDir
    static Path dir;
    static TestUsers users;
    static TestUsers.User carol;
    static DaemonProcess daemon;
    static PamHarness pam;

    @BeforeAll
    static void start() throws Exception {
        Root.require();
        users = new TestUsers();
        carol = users.create();
        daemon = DaemonProcess.start(dir.resolve("daemon"), """
                [[rule]]
                name = "no-keyring"
                match = { service = "never" }
                create = "never"

                [[rule]]
                name = "short-lived"
                match = { service = "short" }
                max_lifetime = "2s"
                """);
        pam = new PamHarness(dir.resolve("pam.d"));
        String up = "socket=" + daemon.socket() + " on_error=fail";
        pam.service("login", "session required MODULE " + up + " revoke");
        pam.service("never", "session required MODULE " + up + " revoke");
        pam.service("down", "session required MODULE socket=" + dir.resolve("absent.sock") + " revoke");
        pam.service("short", "session required MODULE " + up + " revoke");
        // Debian's sshd, login, su-l and runuser-l: pam_keyinit first, then common-session with the profile's line
        pam.service("stock", "session optional pam_keyinit.so force revoke",
                "session required MODULE " + up + " revoke");
        pam.service("krb5", "auth required MODULE " + up + " revoke", "session required MODULE " + up + " revoke");
    }

    @AfterAll
    static void stop() throws Exception {
        Fixtures.closeAll(daemon, users);
    }

    private static List<JsonNode> opensBy(long pid) throws Exception {
        return daemon.audit().stream().filter(n -> n.path("event").asText().equals("session.open")
                && n.path("pid").asLong() == pid).toList();
    }

    @Test
    void rootLogsInLikeAnyoneElse() throws Exception {
        // 0.1: "keyctl_link: Resource deadlock avoided" (the registry lived inside _uid.0)
        PamHarness.Result r = pam.run("login", "root", "--session-state", "root-useses", "--exec",
                "keyctl add user kit-root-key v @s >/dev/null && keyctl show @s");
        assertThat(r.getInt("open_rc")).as(r.output()).isZero();
        int ses = r.getInt("ses");
        assertThat(r.get("ses_desc")).startsWith("keyring;0;0;").contains(";keyinitd.");
        assertThat(r.output()).as("root's user keyring is linked in").contains("_uid.0");
        assertThat(r.getInt("exec_status")).isZero();
        assertThat(r.getInt("close_rc")).isZero();
        assertThat(r.state(ses)).isEqualTo("revoked");
        assertThat(daemon.audit("session.open", "created")).anySatisfy(n -> {
            assertThat(n.path("user").asText()).isEqualTo("root");
            assertThat(n.path("keyring").asInt()).isEqualTo(ses);
        });
    }

    @Test
    void aLoginFromARevokedKeyringGetsAFreshOne() throws Exception {
        // 0.1: "cannot look up the session keyring: Key has been revoked", whatever on_error said
        for (String service : List.of("login", "down")) {
            PamHarness.Result r = pam.run(service, carol.name(), "--session-state", "revoked", "--exec",
                    "keyctl add user kit-k v @s >/dev/null");
            assertThat(r.getInt("open_rc")).as(service + ":\n" + r.output()).isZero();
            assertThat(r.get("ses_desc")).as(service).startsWith("keyring;" + carol.uid() + ";");
            assertThat(r.getInt("exec_status")).as("the new keyring is usable (%s)", service).isZero();
            assertThat(r.state(r.getInt("ses"))).as(service).isEqualTo("revoked");
        }
        assertThat(daemon.audit("session.open", "created"))
                .anySatisfy(n -> assertThat(n.path("caller_keyring").asText()).isEqualTo("dead"));

        // Policy says no keyring: still not the dead one, but the user's own user-session keyring.
        PamHarness.Result never = pam.run("never", carol.name(), "--session-state", "revoked", "--exec",
                "keyctl add user kit-k v @s >/dev/null");
        assertThat(never.getInt("open_rc")).as(never.output()).isZero();
        assertThat(never.get("ses_desc")).endsWith(";_uid_ses." + carol.uid());
        assertThat(never.getInt("exec_status")).isZero();
    }

    @Test
    void pamKeyinitsBareKeyringEarlierInTheStackIsTakenOver() throws Exception {
        // the real pam_keyinit.so makes its keyring first; the module replaces it with a daemon keyring
        PamHarness.Result r = pam.run("stock", carol.name(), "--exec", "keyctl add user kit-k v @s >/dev/null");
        assertThat(r.getInt("open_rc")).as(r.output()).isZero();
        int ses = r.getInt("ses");
        assertThat(r.get("ses_desc")).as("a daemon keyring, not pam_keyinit's _ses")
                .startsWith("keyring;" + carol.uid() + ";").contains(";keyinitd.");
        assertThat(r.getInt("exec_status")).isZero();
        assertThat(daemon.audit("session.open", "taken-over")).filteredOn(n -> n.path("keyring").asInt() == ses)
                .singleElement().satisfies(n -> assertThat(n.path("caller_keyring").asText()).isEqualTo("fresh"));
        assertThat(r.getInt("close_rc")).isZero();
        assertThat(r.state(ses)).isEqualTo("revoked");
    }

    @Test
    void maxLifetimeKillsTheKeysEvenWhileTheSessionStaysOpen() throws Exception {
        PamHarness.Result r = pam.run("short", carol.name(),
                "--exec", "keyctl add user kit-lifetime v @s >/dev/null && keyctl print %user:kit-lifetime",
                // wait (at most 10 s) for the kernel to expire the keyring, from inside the live session
                "--then", "i=0; while keyctl print %user:kit-lifetime >/dev/null 2>&1; do i=$((i+1)); "
                        + "[ $i -gt 100 ] && exit 1; sleep 0.1; done; keyctl rdescribe @s; exit 0");
        assertThat(r.getInt("open_rc")).as(r.output()).isZero();
        assertThat(r.getInt("exec_status")).as("usable at first").isZero();
        assertThat(r.get("then_status")).as("dead within the session: " + r.output()).isEqualTo("0");
        // the kernel expired it; the daemon revoked it (an expired keyring still answers lookups by name)
        assertThat(r.output()).contains("Key has been revoked");
        int ses = r.getInt("ses");
        assertThat(daemon.audit("session.open", "created")).filteredOn(n -> n.path("keyring").asInt() == ses)
                .singleElement().satisfies(n -> {
                    assertThat(n.path("rule").asText()).isEqualTo("short-lived");
                    assertThat(n.path("max_lifetime").asLong()).isEqualTo(2);
                });
        assertThat(daemon.awaitAudit(n -> n.path("event").asText().equals("session.revoke")
                && n.path("keyring").asInt() == ses, 10).path("outcome").asText()).isEqualTo("expired");
        assertThat(r.getInt("close_rc")).as("the close of a keyring past its lifetime still succeeds").isZero();
        assertThat(daemon.audit("session.close", "already-revoked"))
                .anySatisfy(n -> assertThat(n.path("keyring").asInt()).isEqualTo(ses));
    }

    @Test
    void theCloseLineSaysWhatTheKeyringHeldNeverThePayloads() throws Exception {
        PamHarness.Result r = pam.run("login", carol.name(), "--exec",
                "keyctl add user kit-one s3cr3t-payload-1 @s >/dev/null && keyctl add user kit-two s3cr3t-payload-2 @s"
                        + " >/dev/null && keyctl newring kit-ring @s >/dev/null");
        assertThat(r.getInt("exec_status")).as(r.output()).isZero();
        int ses = r.getInt("ses");
        JsonNode close = daemon.audit("session.close", "revoked").stream()
                .filter(n -> n.path("keyring").asInt() == ses).findFirst()
                .orElseThrow(() -> new AssertionError("no close line for keyring " + ses));
        // two user keys, the keyring made in the session, and the user keyring linked in at open
        assertThat(close.path("keys").asInt()).isEqualTo(4);
        assertThat(close.path("key_types").path("user").asInt()).isEqualTo(2);
        assertThat(close.path("key_types").path("keyring").asInt()).isEqualTo(2);
        assertThat(close.toString()).doesNotContain("s3cr3t").doesNotContain("kit-one");
    }

    @Test
    void setcredThenOpenSessionMakeOneKeyringAndOneSession() throws Exception {
        // pam_krb5 stacks: the module in auth (setcred) and in session, one login
        PamHarness.Result r = pam.run("krb5", carol.name(), "--setcred-and-open");
        assertThat(r.getInt("setcred_rc")).as(r.output()).isZero();
        assertThat(r.getInt("open_rc")).isZero();
        int ses = r.getInt("ses");
        assertThat(opensBy(harnessPid(ses))).as("daemon sessions for this login").singleElement()
                .satisfies(n -> assertThat(n.path("keyring").asInt()).isEqualTo(ses));
        assertThat(r.getInt("close_rc")).isZero();
        assertThat(r.getInt("delcred_rc")).isZero();
        assertThat(r.state(ses)).as("revoked once the credentials are deleted").isEqualTo("revoked");
        assertThat(daemon.audit("session.close", "revoked"))
                .filteredOn(n -> n.path("keyring").asInt() == ses).hasSize(1);
    }

    /** The pid the daemon recorded for the session of this keyring. */
    private static long harnessPid(int keyring) throws Exception {
        return daemon.audit("session.open", "created").stream()
                .filter(n -> n.path("keyring").asInt() == keyring).findFirst()
                .orElseThrow(() -> new AssertionError("no session.open for keyring " + keyring))
                .path("pid").asLong();
    }

    @Test
    void theModuleListedTwiceClosesEachLinesOwnSession() throws Exception {
        // Linux-PAM closes in the order of the opens. The first line makes the keyring; the second
        // nests in it. The first line's close must end the session: the module in between sees
        // the keyring already revoked. (0.1 shared one stack: the first close popped the second
        // line's entry and the keyring lived until the end.)
        Path seen = dir.resolve("between-the-closes");
        Path look = dir.resolve("look-at-the-keyring");
        Files.writeString(look, "#!/bin/sh\n[ \"$PAM_TYPE\" = close_session ] || exit 0\n"
                + "keyctl rdescribe @s >" + seen + " 2>&1\nexit 0\n");
        look.toFile().setExecutable(true);
        pam.service("twice",
                "session required MODULE socket=" + daemon.socket() + " on_error=fail revoke",
                "session optional pam_exec.so quiet " + look,
                "session required MODULE socket=" + daemon.socket() + " on_error=fail force revoke");
        PamHarness.Result r = pam.run("twice", carol.name());
        assertThat(r.getInt("open_rc")).as(r.output()).isZero();
        int ses = r.getInt("ses");
        assertThat(opensBy(harnessPid(ses))).as("one keyring, one session").hasSize(1);
        assertThat(r.getInt("close_rc")).isZero();
        assertThat(Files.readString(seen)).as("the keyring seen between the two closes")
                .contains("Key has been revoked");
        assertThat(r.state(ses)).isEqualTo("revoked");
    }

    @Test
    void aStalledDaemonDoesNotActOnOpensWhoseModuleGaveUp() throws Exception {
        pam.service("impatient", "session required MODULE socket=" + daemon.socket() + " timeout=300 revoke");
        TestUsers.User dave = users.create();
        Commands.check(List.of("kill", "-STOP", Long.toString(daemon.pid())));
        List<PamHarness.Result> logins = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                logins.add(pam.run("impatient", dave.name()));
            }
        } finally {
            Commands.check(List.of("kill", "-CONT", Long.toString(daemon.pid())));
        }
        for (PamHarness.Result r : logins) {
            assertThat(r.getInt("open_rc")).as("fell back in-process:\n" + r.output()).isZero();
            assertThat(r.get("ses_desc")).as("an in-process keyring, not the daemon's").doesNotContain("keyinitd.");
        }
        // Once it runs again, the daemon reads the three requests, sees their deadlines gone, and makes nothing.
        daemon.awaitAudit(n -> n.path("event").asText().equals("session.open") && n.path("user").asText()
                .equals(dave.name()) && n.path("outcome").asText().equals("expired")
                && countExpired(dave) == 3, 20);
        assertThat(daemon.audit().stream().filter(n -> n.path("user").asText().equals(dave.name())
                && n.path("event").asText().equals("session.open")))
                .as("every OPEN of the stall was refused as too late").hasSize(3)
                .allSatisfy(n -> assertThat(n.path("outcome").asText()).isEqualTo("expired"));
    }

    private static long countExpired(TestUsers.User u) {
        try {
            return daemon.audit("session.open", "expired").stream()
                    .filter(n -> n.path("user").asText().equals(u.name())).count();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
