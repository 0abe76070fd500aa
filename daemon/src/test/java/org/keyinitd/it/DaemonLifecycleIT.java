package org.keyinitd.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.keyinitd.admin.Reloader;
import org.keyinitd.config.ConfigLoader;
import org.keyinitd.launcher.Daemon;

/** The daemon's own life in this (root) JVM: what a signal does while it stops. */
class DaemonLifecycleIT {
    @TempDir
    static Path dir;

    @BeforeAll
    static void root() throws Exception {
        Root.require();
        DaemonProcess.ensureAnchorAccount();
    }

    @Test
    void aReloadDuringOrAfterTheStopIsRefusedNotACrash() throws Exception {
        Path config = dir.resolve("keyinitd.toml");
        Files.writeString(config, "socket = \"" + dir.resolve("run/k.sock") + "\"\n"
                + "state_dir = \"" + dir.resolve("state") + "\"\n"
                + "audit_log = \"" + dir.resolve("log/audit.log") + "\"\n");
        Daemon daemon = new Daemon(ConfigLoader.load(config), "test");
        daemon.start();
        assertThat(daemon.reload().rejected()).as("a reload while running").isEmpty();
        daemon.close();
        // SIGHUP handled after (or while, the two are synchronized) the stop: 0.1 threw a NullPointerException
        Reloader.Result late = daemon.reload();
        assertThat(late.rejected()).contains("the daemon is not running");
        daemon.close(); // a second stop is harmless too
        DaemonProcess.unlinkRegistry(dir.resolve("state"));
    }

    @Test
    void aSecondDaemonOnTheSameSocketFailsAndLeavesTheFirstServing() throws Exception {
        try (TestUsers users = new TestUsers(); DaemonProcess first = DaemonProcess.start(dir.resolve("first"), "")) {
            TestUsers.User u = users.create();
            // the same config again: a careless `keyinitd &` next to the running service
            Path config = first.config();
            String jvm = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            // started as systemd would start it, stderr to the journal (JOURNAL_STREAM set)
            Commands.Result second = Commands.run(java.util.List.of("env", "JOURNAL_STREAM=8:4242", jvm, "-jar",
                    DaemonProcess.jar().toString(), "--config", config.toString()));
            assertThat(second.exit()).as(second.output()).isEqualTo(1);
            assertThat(second.output()).contains("already served by a running daemon");
            // journald takes the sd-daemon prefix as the entry's priority: INFO is <6>, never a bare line
            assertThat(second.output().lines().filter(l -> l.contains(" INFO ")))
                    .as(second.output()).isNotEmpty().allSatisfy(l -> assertThat(l).startsWith("<6>"));
            assertThat(first.socket()).as("the first daemon's socket is still there").exists();
            PamHarness pam = new PamHarness(dir.resolve("pam.d"));
            pam.service("login", "session required MODULE socket=" + first.socket() + " on_error=fail revoke");
            PamHarness.Result r = pam.run("login", u.name());
            assertThat(r.getInt("open_rc")).as("a login after the failed second start:\n" + r.output()).isZero();
        }
    }

    /**
     * nohup(1) and a shell's background job start the daemon with SIGHUP (and SIGINT) ignored; the
     * JVM then installs no handler of its own. The launcher puts the default action back, so a
     * SIGHUP still reloads and a SIGTERM still stops cleanly (exit 0, not 143 or nothing).
     */
    @Test
    void aDaemonStartedWithItsSignalsIgnoredStillReloadsAndStopsCleanly() throws Exception {
        try (DaemonProcess d = DaemonProcess.startIgnoring(dir.resolve("nohup"), "", "HUP INT TERM")) {
            assertThat(d.log()).contains("restored to their default action");
            assertThat(d.reload().get("outcome").asText()).isEqualTo("ok");
            assertThat(d.stop()).isZero();
            assertThat(d.log()).contains("keyinitd stopped");
        }
    }
}
