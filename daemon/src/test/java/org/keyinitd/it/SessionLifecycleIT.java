package org.keyinitd.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The first end-to-end slice: real daemon process, real libpam, real pam_keyinitd.so, real users
 * and real kernel keyrings. Each test looks at what a logged-in user would see.
 */
class SessionLifecycleIT {
    @TempDir
    static Path dir;
    static TestUsers users;
    static TestUsers.User alice;
    static TestUsers.User bob;
    static DaemonProcess daemon;
    static PamHarness pam;

    @BeforeAll
    static void start() throws Exception {
        Root.require();
        users = new TestUsers();
        alice = users.create();
        bob = users.create();
        daemon = DaemonProcess.start(dir.resolve("daemon"), "");
        pam = new PamHarness(dir.resolve("pam.d"));
        String opts = "socket=" + daemon.socket() + " on_error=fail";
        pam.service("revoking", "session required MODULE " + opts + " revoke");
        pam.service("keeping", "session required MODULE " + opts);
        pam.service("forcing", "session required MODULE " + opts + " force revoke");
        // pam_setcred runs the auth stack: pam_krb5 users list the module there (as with pam_keyinit).
        pam.service("credentials", "auth required MODULE " + opts + " revoke");
    }

    @AfterAll
    static void stop() throws Exception {
        Fixtures.closeAll(daemon, users);
    }

    @Test
    void loginGetsTheDaemonsKeyringOwnedByTheUserWithTheUserKeyringLinked() throws Exception {
        PamHarness.Result r = pam.run("revoking", alice.name(), "--tty", "pts/7", "--rhost", "192.0.2.10",
                "--exec", "keyctl rdescribe @s; keyctl show @s; keyctl rdescribe @s >/dev/null && keyctl add user k v @s");
        assertThat(r.getInt("open_rc")).as(r.output()).isEqualTo(PamHarness.PAM_SUCCESS);
        int ses = r.getInt("ses");
        assertThat(ses).isNotEqualTo(r.getInt("before_ses"));

        JsonNode created = onlyOpenFor(alice, "created", ses); // the session keyring is the one the daemon made
        assertThat(created.get("service").asText()).isEqualTo("revoking");

        // Inside the session, as the user: the keyring is the user's, named by the daemon, with _uid.<uid> in it.
        assertThat(r.output()).contains("keyring;" + alice.uid() + ";" + alice.gid() + ";");
        assertThat(r.output()).containsPattern("keyring;\\d+;\\d+;[0-9a-f]+;keyinitd\\.[0-9a-f]{32}");
        assertThat(r.output()).contains("_uid." + alice.uid());
        assertThat(r.getInt("exec_status")).as("the user can add a key to the session keyring").isZero();

        assertThat(r.getInt("close_rc")).isEqualTo(PamHarness.PAM_SUCCESS);
        assertThat(r.state(ses)).isEqualTo("revoked");
        assertThat(r.get("creds_unchanged")).isEqualTo("1");
        assertThat(daemon.audit("session.close", "revoked"))
                .anySatisfy(n -> assertThat(n.get("keyring").asInt()).isEqualTo(ses));
    }

    @Test
    void withoutRevokeTheKeyringOutlivesTheSession() throws Exception {
        PamHarness.Result r = pam.run("keeping", bob.name());
        assertThat(r.getInt("open_rc")).as(r.output()).isZero();
        int ses = r.getInt("ses");
        assertThat(r.getInt("close_rc")).isZero();
        assertThat(r.state(ses)).isEqualTo("alive");
        assertThat(daemon.audit("session.close", "kept"))
                .anySatisfy(n -> assertThat(n.get("keyring").asInt()).isEqualTo(ses));
    }

    @Test
    void anExistingSessionKeyringIsKeptUnlessForced() throws Exception {
        PamHarness.Result kept = pam.run("revoking", alice.name(), "--session-state", "own");
        assertThat(kept.getInt("open_rc")).as(kept.output()).isZero();
        assertThat(kept.getInt("ses")).isEqualTo(kept.getInt("before_ses"));
        assertThat(kept.state(kept.getInt("ses"))).as("not ours, so not revoked").isEqualTo("alive");
        // this login's own line: found by its process, not any kept-existing an earlier test left
        JsonNode keptLine = daemon.awaitAudit(n -> n.path("event").asText().equals("session.open")
                && n.path("pid").asLong() == kept.getInt("pid"), 10);
        assertThat(keptLine.get("outcome").asText()).as(keptLine.toString()).isEqualTo("kept-existing");
        assertThat(keptLine.get("user").asText()).isEqualTo(alice.name());
        assertThat(keptLine.get("caller_keyring").asText()).isEqualTo("own");

        PamHarness.Result forced = pam.run("forcing", alice.name(), "--session-state", "own");
        assertThat(forced.getInt("open_rc")).as(forced.output()).isZero();
        int ses = forced.getInt("ses");
        assertThat(ses).isNotEqualTo(forced.getInt("before_ses"));
        assertThat(forced.state(ses)).isEqualTo("revoked");
    }

    @Test
    void nestedOpensEachRevokeOnlyTheirOwnKeyring() throws Exception {
        PamHarness.Result r = pam.run("forcing", bob.name(), "--nested", "2");
        List<String> opens = r.all("open_rc");
        assertThat(opens).as(r.output()).containsExactly("0", "0");
        List<String> sessions = r.all("ses");
        assertThat(sessions).hasSize(2).doesNotHaveDuplicates();
        assertThat(r.all("close_rc")).containsExactly("0", "0");
        for (String s : sessions) {
            assertThat(r.state(Integer.parseInt(s))).isEqualTo("revoked");
        }
    }

    @Test
    void setcredActsLikeOpenAndClose() throws Exception {
        PamHarness.Result r = pam.run("credentials", alice.name(), "--setcred");
        assertThat(r.getInt("open_rc")).as(r.output()).isZero();
        int ses = r.getInt("ses");
        assertThat(ses).isNotEqualTo(r.getInt("before_ses"));
        assertThat(r.state(ses)).isEqualTo("revoked");
    }

    @Test
    void aUserMayOpenItsOwnSessionWithoutRoot() throws Exception {
        PamHarness.Result r = pam.run("revoking", bob.name(), "--as-user", bob.name());
        assertThat(r.getInt("open_rc")).as(r.output()).isZero();
        int ses = r.getInt("ses");
        assertThat(onlyOpenFor(bob, "created", ses).get("peer_uid").asLong()).isEqualTo(bob.uid());
        assertThat(r.state(ses)).isEqualTo("revoked");
    }

    @Test
    void aNonRootPeerAskingForAnotherUserIsDenied() throws Exception {
        PamHarness.Result r = pam.run("revoking", alice.name(), "--as-user", bob.name());
        assertThat(r.getInt("open_rc")).as(r.output()).isEqualTo(PamHarness.PAM_SESSION_ERR);
        assertThat(r.getInt("ses")).as("no keyring joined").isEqualTo(r.getInt("before_ses"));
        assertThat(daemon.audit("session.open", "denied")).anySatisfy(n -> {
            assertThat(n.get("user").asText()).isEqualTo(alice.name());
            assertThat(n.get("peer_uid").asLong()).isEqualTo(bob.uid());
            assertThat(n.get("reason").asText()).contains("may only open sessions for itself");
        });
    }

    @Test
    void auditLinesCarryTheDocumentedFields() throws Exception {
        PamHarness.Result r = pam.run("revoking", bob.name(), "--tty", "tty3", "--rhost", "host.example",
                "--ruser", "carol");
        int ses = r.getInt("ses");
        JsonNode open = onlyOpenFor(bob, "created", ses);
        for (String field : List.of("ts", "event", "outcome", "session", "user", "uid", "service", "tty", "rhost",
                "pid", "keyring", "rule")) {
            assertThat(open.has(field)).as("open line has %s: %s", field, open).isTrue();
        }
        assertThat(Instant.parse(open.get("ts").asText())).isBeforeOrEqualTo(Instant.now());
        assertThat(open.get("service").asText()).isEqualTo("revoking");
        assertThat(open.get("tty").asText()).isEqualTo("tty3");
        assertThat(open.get("rhost").asText()).isEqualTo("host.example");
        assertThat(open.get("ruser").asText()).isEqualTo("carol");
        assertThat(open.get("uid").asLong()).isEqualTo(bob.uid());
        assertThat(open.get("pid").asLong()).as("the peer's pid").isPositive();

        String session = open.get("session").asText();
        JsonNode close = daemon.audit("session.close", "revoked").stream()
                .filter(n -> n.get("session").asText().equals(session)).findFirst().orElseThrow();
        assertThat(close.get("keyring").asInt()).isEqualTo(ses);
        assertThat(close.get("user").asText()).isEqualTo(bob.name());
        assertThat(close.get("pid").asLong()).isEqualTo(open.get("pid").asLong());
    }

    private static JsonNode onlyOpenFor(TestUsers.User user, String outcome, int keyring) throws Exception {
        return daemon.audit("session.open", outcome).stream()
                .filter(n -> n.get("user").asText().equals(user.name()) && n.get("keyring").asInt() == keyring)
                .findFirst().orElseThrow(() -> new AssertionError("no " + outcome + " open for keyring " + keyring));
    }
}
