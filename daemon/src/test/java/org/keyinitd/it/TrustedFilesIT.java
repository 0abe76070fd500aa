package org.keyinitd.it;

import static org.assertj.core.api.Assertions.assertThat;

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
 * Issue 13: the files the daemon trusts or writes. Directories others can write are refused at
 * start with a message naming them; symlinks are not followed; modes hold whatever the umask; the
 * audit log follows a logrotate-style move; a broken keyinitctl -c is an error.
 */
class TrustedFilesIT {
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
    void aStateDirOrAuditDirectoryOthersCanWriteIsRefusedAtStart() throws Exception {
        Path open = Files.createDirectories(dir.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        Commands.Result r = DaemonProcess.startRefused(open.resolve("d"), "");
        assertThat(r.exit()).as(r.output()).isEqualTo(1);
        assertThat(r.output()).contains("cannot start").contains("parent directory " + open)
                .contains("writable by group or others");

        Path owned = Files.createDirectories(dir.resolve("owned/d/log"));
        TestUsers.User u = users.create();
        Files.setAttribute(owned, "unix:uid", (int) u.uid());
        r = DaemonProcess.startRefused(dir.resolve("owned/d"), "");
        assertThat(r.exit()).as(r.output()).isEqualTo(1);
        assertThat(r.output()).contains("audit log directory " + owned + " is owned by uid " + u.uid());
    }

    @Test
    void anAuditLogThatIsASymlinkIsNotFollowed() throws Exception {
        Path log = Files.createDirectories(dir.resolve("link/d/log"));
        Path victim = Files.writeString(dir.resolve("victim"), "untouched\n");
        Files.createSymbolicLink(log.resolve("audit.log"), victim);
        Commands.Result r = DaemonProcess.startRefused(dir.resolve("link/d"), "");
        assertThat(r.exit()).as(r.output()).isEqualTo(1);
        assertThat(r.output()).contains("audit log " + log.resolve("audit.log") + " is not a regular file");
        assertThat(Files.readString(victim)).isEqualTo("untouched\n");
    }

    @Test
    void modesHoldUnderUmask000AndTheAuditLogFollowsALogrotateMove() throws Exception {
        try (DaemonProcess d = DaemonProcess.startWithUmask(dir.resolve("umask"), "", "000")) {
            pam.service("tf", "session required MODULE socket=" + d.socket() + " on_error=fail force revoke");
            TestUsers.User u = users.create();
            PamHarness.Live held = pam.start("tf", u.name());
            Path sessions = d.stateDir().resolve("sessions");
            List<Path> files;
            try (Stream<Path> s = Files.list(sessions)) {
                files = s.filter(p -> p.toString().endsWith(".json")).toList();
            }
            assertThat(files).hasSize(1);
            assertThat(mode(files.get(0))).isEqualTo("rw-------");
            assertThat(mode(sessions)).isEqualTo("rwx------");
            assertThat(mode(d.stateDir())).isEqualTo("rwx------");
            assertThat(mode(d.auditLog().getParent())).isEqualTo("rwxr-x---");
            assertThat(mode(d.auditLog())).isEqualTo("rw-r-----");
            int heldRing = held.finish().getInt("ses");
            // the audit queue writes a moment after the reply: the held login's close is in before the move
            d.awaitAudit(n -> n.path("event").asText().equals("session.close")
                    && n.path("keyring").asInt() == heldRing, 10);

            // logrotate without copytruncate: move, create a new file; the next lines go to it
            Path rotated = d.auditLog().resolveSibling("audit.log.rotated");
            Files.move(d.auditLog(), rotated);
            Files.createFile(d.auditLog());
            int ring = pam.run("tf", u.name()).getInt("ses");
            d.awaitAudit(n -> n.path("event").asText().equals("session.close") && n.path("keyring").asInt() == ring, 10);
            assertThat(Files.readString(rotated)).doesNotContain("\"keyring\":" + ring + ",");

            // SIGUSR1 (logrotate's postrotate) reopens by name: the file is there again before any event
            Files.move(d.auditLog(), d.auditLog().resolveSibling("audit.log.2rotated"));
            Commands.check(List.of("kill", "-USR1", Long.toString(d.pid())));
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!Files.exists(d.auditLog()) && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(d.auditLog()).exists();
            assertThat(mode(d.auditLog())).isEqualTo("rw-r-----");
            while (!d.log().contains("reopened the audit log") && System.nanoTime() < deadline) {
                Thread.onSpinWait(); // the line follows the reopen
            }
            assertThat(d.log()).contains("reopened the audit log");
            pam.run("tf", u.name());
            d.awaitAudit(n -> n.path("event").asText().equals("session.close"), 10);
        }
    }

    @Test
    void keyinitctlWithABrokenConfigIsAnErrorNotTheDefaultDaemon() throws Exception {
        Path broken = Files.writeString(dir.resolve("broken.toml"), "socket = \n");
        Commands.Result r = Ctl.run(List.of("-c", broken.toString(), "reload"));
        assertThat(r.exit()).as(r.output()).isEqualTo(3);
        assertThat(r.output()).contains("cannot use configuration " + broken);
        r = Ctl.run(List.of("-c", dir.resolve("missing.toml").toString(), "status"));
        assertThat(r.exit()).as(r.output()).isEqualTo(3);
        assertThat(r.output()).contains("does not exist");
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}
