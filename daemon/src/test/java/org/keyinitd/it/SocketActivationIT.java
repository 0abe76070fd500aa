package org.keyinitd.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Socket activation as keyinitd.socket does it, with systemd's own systemd-socket-activate(1):
 * the socket exists before the daemon, the first login's connection starts the daemon, waits in
 * the socket's backlog meanwhile and is served (no fallback); the daemon takes the passed socket
 * (LISTEN_FDS) and, when it stops, leaves it to systemd.
 */
class SocketActivationIT {
    @TempDir
    static Path dir;
    static TestUsers users;

    @BeforeAll
    static void root() throws Exception {
        Root.require();
        DaemonProcess.ensureAnchorAccount();
        users = new TestUsers();
    }

    @AfterAll
    static void stop() throws Exception {
        Fixtures.closeAll(users);
    }

    @Test
    void theFirstLoginStartsTheDaemonOnTheSocketSystemdHoldsAndIsServed() throws Exception {
        Path run = Files.createDirectories(dir.resolve("run"));
        TestDirs.openToAll(dir);
        TestDirs.openToAll(run);
        Path sock = run.resolve("keyinitd.sock");
        Path config = dir.resolve("keyinitd.toml");
        Files.writeString(config, "socket = \"" + sock + "\"\nstate_dir = \"" + dir.resolve("state") + "\"\n"
                + "audit_log = \"" + dir.resolve("log/audit.log") + "\"\n");
        Path log = dir.resolve("daemon.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process activator = new ProcessBuilder("systemd-socket-activate", "-l", sock.toString(), java, "-jar",
                DaemonProcess.jar().toAbsolutePath().toString(), "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!Files.exists(sock) && System.nanoTime() < deadline && activator.isAlive()) {
                Thread.onSpinWait();
            }
            assertThat(sock).as("systemd's socket, before any daemon").exists();
            assertThat(Files.readString(log)).doesNotContain("ready on");

            TestUsers.User u = users.create();
            PamHarness pam = new PamHarness(dir.resolve("pam.d"));
            // on_error=fail: a fallback would not do; the login waits for the daemon to come up
            pam.service("login", "session required MODULE socket=" + sock + " on_error=fail revoke timeout=60000");
            PamHarness.Result r = pam.run("login", u.name());
            assertThat(r.getInt("open_rc")).as(r.output() + Files.readString(log)).isZero();
            assertThat(r.get("ses_desc")).contains(";keyinitd.");
            assertThat(r.getInt("close_rc")).isZero();
            assertThat(r.state(r.getInt("ses"))).isEqualTo("revoked");
            assertThat(Files.readString(log)).contains("(socket activation)");

            activator.destroy(); // the daemon itself (systemd-socket-activate execs it): SIGTERM, a clean stop
            assertThat(activator.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(Files.readString(log)).contains("keyinitd stopped");
            assertThat(sock).as("the daemon leaves systemd's socket in place").exists();
        } finally {
            activator.destroyForcibly();
            DaemonProcess.unlinkRegistry(dir.resolve("state"));
        }
    }
}
