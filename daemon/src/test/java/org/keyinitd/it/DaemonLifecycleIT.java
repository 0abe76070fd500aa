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
}
