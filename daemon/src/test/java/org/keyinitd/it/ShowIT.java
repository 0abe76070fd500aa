package org.keyinitd.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** keyinitctl show SESSION: one live session in full, as an admin sees it, never a payload. */
class ShowIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static TestUsers users;
    static DaemonProcess daemon;
    static PamHarness pam;

    @BeforeAll
    static void start() throws Exception {
        Root.require();
        users = new TestUsers();
        daemon = DaemonProcess.start(dir.resolve("daemon"), """
                [[rule]]
                name = "interactive"
                match = { service = "sshd" }
                revoke = true
                max_lifetime = "1h"
                """);
        pam = new PamHarness(dir.resolve("pam.d"));
        pam.service("sshd", "session required MODULE socket=" + daemon.socket() + " on_error=fail");
    }

    @AfterAll
    static void stop() throws Exception {
        Fixtures.closeAll(daemon, users);
    }

    @Test
    void showListsTheKeysByTypeAndNameTheRuleAndTheAuditNeverThePayloads() throws Exception {
        TestUsers.User u = users.create();
        PamHarness.Live login = pam.start("sshd", u.name(), "--tty", "pts/4", "--exec",
                "keyctl add user kit-token t0p-s3cr3t-payload @s >/dev/null && keyctl add logon kit:pw hunter2 @s >/dev/null");
        try {
            int ses = login.soFar().getInt("ses");
            JsonNode list = JSON.readTree(Ctl.run(daemon.socket(), "sessions", "--json").output());
            String id = null;
            for (JsonNode n : list) {
                if (n.path("keyring").asInt() == ses) {
                    id = n.path("session").asText();
                }
            }
            assertThat(id).as("the session is listed").isNotNull();

            Commands.Result json = Ctl.run(daemon.socket(), "show", id, "--json");
            assertThat(json.exit()).as(json.output()).isZero();
            JsonNode doc = JSON.readTree(json.output());
            assertThat(doc.path("user").asText()).isEqualTo(u.name());
            assertThat(doc.path("rule").asText()).isEqualTo("interactive");
            assertThat(doc.path("login_pid").asLong()).isEqualTo(login.pid());
            JsonNode ring = doc.path("keyring");
            assertThat(ring.path("serial").asInt()).isEqualTo(ses);
            assertThat(ring.path("state").asText()).isEqualTo("alive");
            assertThat(ring.path("uid").asLong()).isEqualTo(u.uid());
            assertThat(ring.path("permissions").asText()).isEqualTo("0x3f1b0000");
            assertThat(ring.path("expiry").asText()).as("max_lifetime 1h, plus the kernel's grace").matches("\\d+[mh]");
            assertThat(ring.path("holders").asInt()).as("the login process").isGreaterThanOrEqualTo(1);
            assertThat(ring.path("keys")).extracting(k -> k.path("type").asText() + ":" + k.path("description").asText())
                    .containsExactlyInAnyOrder("keyring:_uid." + u.uid(), "user:kit-token", "logon:kit:pw");
            assertThat(doc.path("audit")).isNotEmpty().allSatisfy(l ->
                    assertThat(l.path("keyring").asInt()).isEqualTo(ses));
            assertThat(doc.path("audit").get(0).path("event").asText()).isEqualTo("session.open");

            // from another local user's side: show is root's alone, and says nothing of the session
            TestUsers.User other = users.create();
            Commands.Result denied = Ctl.runAs(other, daemon.socket(), "show", id, "--json");
            assertThat(denied.exit()).as(denied.output()).isEqualTo(1);
            assertThat(denied.output()).contains("permission denied").doesNotContain("kit-token")
                    .doesNotContain(u.name());
            assertThat(daemon.audit("admin.denied", "denied")).anySatisfy(n -> {
                assertThat(n.path("op").asText()).isEqualTo("SHOW");
                assertThat(n.path("peer_uid").asLong()).isEqualTo(other.uid());
            });

            Commands.Result text = Ctl.run(daemon.socket(), "show", id);
            assertThat(text.exit()).as(text.output()).isZero();
            assertThat(text.output()).contains("rule:      interactive").contains("kit-token").contains("logon")
                    .contains("keys:      3");
            for (String out : new String[] {json.output(), text.output()}) {
                assertThat(out).doesNotContain("t0p-s3cr3t").doesNotContain("hunter2");
            }
        } finally {
            login.finish();
        }
        Commands.Result gone = Ctl.run(daemon.socket(), "show", "0".repeat(32));
        assertThat(gone.exit()).isEqualTo(1);
        assertThat(gone.output()).contains("no session " + "0".repeat(32));
    }
}
