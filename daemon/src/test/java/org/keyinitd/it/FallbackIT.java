package org.keyinitd.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A login served in-process because the daemon was down becomes known to the daemon once it is
 * back: the module leaves a fallback record in the root-only spool next to the socket, and the
 * daemon, at start, lists the login while its process lives and audits it either way. Also from
 * the other side: a record nobody could have written cleanly is dropped with one line, a spool
 * that is not root's alone is not written to, and a fallback keyring is not the daemon's to revoke.
 */
class FallbackIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static TestUsers users;
    static PamHarness pam;
    static Path run;
    static Path spool;

    @BeforeAll
    static void setUp() throws Exception {
        Root.require();
        users = new TestUsers();
        pam = new PamHarness(dir.resolve("pam.d"));
        run = Files.createDirectories(dir.resolve("daemon/run"));
        TestDirs.openToAll(run);
        spool = run.resolve("fallback");
        pam.service("login", "session required MODULE socket=" + run.resolve("keyinitd.sock") + " timeout=500 revoke");
    }

    @AfterAll
    static void tearDown() throws Exception {
        Fixtures.closeAll(users);
    }

    @Test
    void loginsServedWhileTheDaemonWasDownAreListedAndAuditedOnceItIsBack() throws Exception {
        TestUsers.User alice = users.create();
        TestUsers.User bob = users.create();
        // the daemon is down: both logins fall back, each leaves a record
        PamHarness.Live stillIn = pam.start("login", alice.name(), "--tty", "/dev/pts/7", "--rhost", "192.0.2.7");
        int aliceKeyring = stillIn.soFar().getInt("ses");
        assertThat(stillIn.soFar().get("ses_desc")).as("in-process, not the daemon's").doesNotContain("keyinitd.");
        PamHarness.Result cameAndWent = pam.run("login", bob.name());
        assertThat(cameAndWent.getInt("open_rc")).as(cameAndWent.output()).isZero();
        int bobKeyring = cameAndWent.getInt("ses");
        assertThat(cameAndWent.state(bobKeyring)).as("the module's revoke, as pam_keyinit's").isEqualTo("revoked");
        assertThat(records()).containsExactlyInAnyOrder(aliceKeyring + "-" + stillIn.pid(),
                bobKeyring + "-" + cameAndWent.getInt("pid"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(spool))).isEqualTo("rwx------");

        try (DaemonProcess daemon = DaemonProcess.start(dir.resolve("daemon"), "")) {
            JsonNode adopted = one(daemon.audit("session.fallback", "adopted"));
            assertThat(adopted.get("user").asText()).isEqualTo(alice.name());
            assertThat(adopted.get("keyring").asInt()).isEqualTo(aliceKeyring);
            assertThat(adopted.get("pid").asLong()).isEqualTo(stillIn.pid());
            assertThat(adopted.get("tty").asText()).isEqualTo("/dev/pts/7");
            assertThat(adopted.get("rhost").asText()).isEqualTo("192.0.2.7");
            assertThat(adopted.get("reason").asText()).contains("keyinitd.sock");
            assertThat(adopted.get("revoke").asText()).isEqualTo("always");
            JsonNode over = one(daemon.audit("session.fallback", "ended"));
            assertThat(over.get("user").asText()).isEqualTo(bob.name());
            assertThat(over.get("keyring").asInt()).isEqualTo(bobKeyring);
            assertThat(over.get("end_reason").asText()).contains("gone before");
            assertThat(records()).as("every record taken in").isEmpty();

            JsonNode listed = sessionWithKeyring(daemon, aliceKeyring);
            assertThat(listed.get("state").asText()).isEqualTo("fallback");
            assertThat(listed.get("pid").asLong()).isEqualTo(stillIn.pid());
            String id = listed.get("session").asText();

            // not the daemon's keyring: a revoke says so, and the login's keyring is untouched
            Commands.Result revoke = Ctl.run(daemon.socket(), "revoke", "--session", id);
            assertThat(revoke.exit()).as(revoke.output()).isNotZero();
            assertThat(revoke.output()).contains("FAILED to revoke 1");
            assertThat(one(daemon.audit("admin.revoke", "error")).get("reason").asText())
                    .contains("made in-process");
            Commands.Result seen = Commands.run(List.of("setpriv", "--reuid=" + alice.name(), "--regid=" + alice.name(),
                    "--clear-groups", "keyctl", "rdescribe", Integer.toString(aliceKeyring)));
            assertThat(seen.exit()).as("still alive: " + seen.output()).isZero();

            PamHarness.Result end = stillIn.finish();
            assertThat(end.getInt("close_rc")).as(end.output()).isZero();
            JsonNode ended = daemon.awaitAudit(n -> "session.fallback".equals(n.path("event").asText())
                    && "ended".equals(n.path("outcome").asText()) && id.equals(n.path("session").asText()), 10);
            assertThat(ended.get("end_reason").asText()).contains("exited");
            assertThat(sessionsOf(daemon)).noneMatch(n -> n.get("session").asText().equals(id));
        }
    }

    @Test
    void aRecordThatDoesNotDecodeIsDroppedWithOneLineAndTheOthersAreTaken() throws Exception {
        Path other = Files.createDirectories(dir.resolve("other/run"));
        TestDirs.openToAll(other);
        Path otherSpool = Files.createDirectories(other.resolve("fallback"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.write(otherSpool.resolve("123-456"), new byte[] {'K', 'I', 'D', 'P', 1, 10, 0, 0, 0, 0, 0, 9});
        Files.writeString(otherSpool.resolve(".789-1.tmp"), "not finished");
        try (DaemonProcess daemon = DaemonProcess.start(dir.resolve("other"), "")) {
            JsonNode corrupt = one(daemon.audit("session.fallback", "corrupt"));
            assertThat(corrupt.get("file").asText()).isEqualTo("123-456");
            assertThat(daemon.log()).containsOnlyOnce("fallback record " + otherSpool + "/123-456 is unusable");
            assertThat(otherSpool.resolve("123-456")).doesNotExist();
            assertThat(otherSpool.resolve(".789-1.tmp")).as("unfinished: the module's, left alone").exists();
            PamHarness p = new PamHarness(dir.resolve("pam2.d"));
            p.service("login", "session required MODULE socket=" + daemon.socket() + " revoke");
            PamHarness.Result r = p.run("login", users.create().name());
            assertThat(r.get("ses_desc")).as("the daemon serves logins as usual").contains(";keyinitd.");
        }
    }

    @Test
    void aSpoolThatIsNotRootsAloneIsNotWrittenTo() throws Exception {
        Path open = Files.createDirectories(dir.resolve("open/run"));
        TestDirs.openToAll(open);
        TestUsers.User carol = users.create();
        Path planted = Files.createDirectories(open.resolve("fallback"));
        Files.setPosixFilePermissions(planted, PosixFilePermissions.fromString("rwxrwxrwx"));
        PamHarness p = new PamHarness(dir.resolve("pam3.d"));
        p.service("login", "session required MODULE socket=" + open.resolve("keyinitd.sock") + " timeout=300 revoke");
        PamHarness.Result r;
        List<String> said;
        try (SyslogCapture syslog = new SyslogCapture(dir)) {
            r = p.run(syslog, "login", carol.name());
            said = syslog.matching("fell back to in-process keyring");
        }
        assertThat(r.getInt("open_rc")).as(r.output()).isZero();
        assertThat(said).hasSize(1);
        assertThat(said.get(0)).contains("not recorded for keyinitd: " + planted + " is not root's alone");
        try (Stream<Path> files = Files.list(planted)) {
            assertThat(files).isEmpty();
        }
    }

    private static List<String> records() throws Exception {
        try (Stream<Path> files = Files.list(spool)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> !n.startsWith(".")).toList();
        }
    }

    private static JsonNode one(List<JsonNode> lines) {
        assertThat(lines).hasSize(1);
        return lines.get(0);
    }

    private static List<JsonNode> sessionsOf(DaemonProcess daemon) throws Exception {
        Commands.Result r = Ctl.run(daemon.socket(), "sessions", "--json");
        assertThat(r.exit()).as(r.output()).isZero();
        List<JsonNode> out = new java.util.ArrayList<>();
        JSON.readTree(r.output()).forEach(out::add);
        return out;
    }

    private static JsonNode sessionWithKeyring(DaemonProcess daemon, int serial) throws Exception {
        return sessionsOf(daemon).stream().filter(n -> n.get("keyring").asInt() == serial).findFirst()
                .orElseThrow(() -> new AssertionError("keyring " + serial + " not listed"));
    }
}
