package org.keyinitd.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit trail as an auditor reads it: every line JSON, every event with the fields
 * docs/audit.md promises, rotation by size keeping whole lines.
 */
class AuditIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** docs/audit.md: the fields every line of each event has (beyond ts, event, outcome). */
    static final Map<String, List<String>> REQUIRED = Map.of(
            "session.open", List.of("user", "uid", "service", "pid", "auid", "ses", "peer_pid", "peer_uid"),
            "session.close", List.of("session", "pid", "peer_uid"),
            "session.orphan", List.of("session", "user", "uid", "service", "keyring", "rule", "pid", "auid", "ses",
                    "reason"),
            "session.revoke", List.of("session", "user", "uid", "keyring", "auid", "ses", "reason"),
            "session.recover", List.of(),
            "admin.revoke", List.of("session", "user", "uid", "keyring", "auid", "ses", "peer_uid", "peer_pid",
                    "peer_auid", "peer_ses"),
            "admin.denied", List.of("op", "peer_pid", "peer_uid", "peer_auid", "peer_ses"),
            "config.reload", List.of("config"),
            "daemon.start", List.of("version", "config", "pid", "sessions_recovered"),
            "daemon.stop", List.of("version", "sessions_open"));

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
    void everyEventTypeHasItsDocumentedFields() throws Exception {
        try (DaemonProcess d = DaemonProcess.start(dir.resolve("events"), """
                [[rule]]
                name = "cron"
                match = { service = "cron" }
                create = "never"
                [[rule]]
                name = "tmux"
                match = { service = "tmux" }
                create = "always"
                revoke = "when-unused"
                """)) {
            String line = "session required MODULE socket=" + d.socket() + " on_error=fail";
            pam.service("ev-login", line + " force revoke");
            pam.service("cron", line);
            pam.service("tmux", line);
            TestUsers.User u = users.create();
            TestUsers.User other = users.create();
            pam.run("ev-login", u.name(), "--tty", "tty2");                   // open created, close revoked
            pam.run("ev-login", u.name(), "--as-user", other.name());         // open denied
            pam.run("cron", u.name());                                        // open skipped
            pam.run("tmux", u.name(), "--detach", "sleep 0.3");               // close deferred, session.revoke
            d.awaitAudit(n -> n.path("event").asText().equals("session.revoke"), 10);
            PamHarness.Live killed = pam.start("ev-login", u.name());
            killed.kill();                                                    // session.orphan
            PamHarness.Live held = pam.start("ev-login", u.name());
            Ctl.run(d.socket(), "revoke", "--user", u.name(), "--reason", "audit test"); // admin.revoke
            Ctl.runAs(other, d.socket(), "status");                           // admin.denied
            Ctl.run(d.socket(), "reload");                                    // config.reload
            held.finish();                                                    // close already-revoked
            d.awaitAudit(n -> n.path("event").asText().equals("session.orphan"), 10);
            d.stop();
            d.restart();                                                      // daemon.stop, daemon.start

            Set<String> seen = new HashSet<>();
            for (JsonNode n : d.audit()) {
                String event = n.path("event").asText();
                seen.add(event);
                assertThat(REQUIRED).as("documented event " + event).containsKey(event);
                assertThat(Instant.parse(n.get("ts").asText())).isBeforeOrEqualTo(Instant.now());
                assertThat(n.get("outcome").asText()).isNotBlank();
                for (String field : REQUIRED.get(event)) {
                    assertThat(n.has(field)).as("%s has %s: %s", event, field, n).isTrue();
                }
            }
            assertThat(seen).containsAll(Set.of("session.open", "session.close", "session.orphan", "session.revoke",
                    "admin.revoke", "admin.denied", "config.reload", "daemon.start", "daemon.stop"));
        }
    }

    /** Sessions of the rotation test; see there. */
    static final int SESSIONS = 1000;

    @Test
    void theAuditLogRotatesBySizeKeepingWholeLines() throws Exception {
        try (DaemonProcess d = DaemonProcess.start(dir.resolve("rotation"), """
                [audit]
                max_size_mb = 1
                max_files = 2
                """)) {
            pam.service("rot", "session required MODULE socket=" + d.socket() + " on_error=fail force revoke");
            TestUsers.User u = users.create();
            // Rotation is about bytes, not logins: long PAM items (each line carries rhost, tty and
            // ruser) make ~4 KB of audit per session, so 1000 sessions write ~4 MB, more than the
            // live file and the 2 old ones hold (1 MiB each), and the oldest must be dropped.
            String rhost = "h".repeat(1000) + ".example";
            String tty = "/dev/" + "t".repeat(200);
            String ruser = "r".repeat(200);
            PamHarness.Result r = pam.run("rot", u.name(), "--repeat", Integer.toString(SESSIONS), "--rhost", rhost,
                    "--tty", tty, "--ruser", ruser);
            assertThat(r.getInt("ok")).as(r.output()).isEqualTo(SESSIONS);
            d.stop();

            Path log = dir.resolve("rotation/log");
            List<String> files;
            try (Stream<Path> s = Files.list(log)) {
                files = s.map(p -> p.getFileName().toString()).sorted().toList();
            }
            assertThat(files).containsExactly("audit.log", "audit.log.1", "audit.log.2");
            long lines = 0;
            for (String f : files) {
                assertThat(Files.size(log.resolve(f))).isLessThan(2L * 1024 * 1024);
                for (String line : Files.readAllLines(log.resolve(f))) {
                    JsonNode n = JSON.readTree(line); // a line split across files would not parse
                    assertThat(n.has("event")).isTrue();
                    lines++;
                }
            }
            // what the three files hold: at least the two full old ones, of lines of ~2 KB each
            assertThat(lines).isGreaterThan(2 * 1024 * 1024 / 2500).isLessThan(2L * SESSIONS);
        }
    }
}
