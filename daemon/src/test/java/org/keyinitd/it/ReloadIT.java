package org.keyinitd.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * keyinitctl reload against the real daemon: [audit] and [metrics] changes take effect, keys
 * fixed at start are refused by name (and the running configuration kept), drop-ins are read,
 * and warnings reach the admin.
 */
class ReloadIT {
    @TempDir
    static Path dir;
    static DaemonProcess daemon;

    @BeforeAll
    static void start() throws Exception {
        Root.require();
        daemon = DaemonProcess.start(dir.resolve("daemon"), "");
    }

    @AfterAll
    static void stop() throws Exception {
        Fixtures.closeAll(daemon);
    }

    @Test
    void metricsAndAuditChangesApplyAtReload() throws Exception {
        Path textfile = dir.resolve("metrics/keyinitd.prom");
        Files.createDirectories(textfile.getParent());
        Path newAudit = dir.resolve("log2/audit.log");
        assertThat(textfile).doesNotExist();

        daemon.writeConfig("");
        // audit_log is a top-level key: rewrite the file with the new path first
        String cfg = Files.readString(daemon.config()).replace(
                "audit_log = \"" + dir.resolve("daemon/log/audit.log") + "\"", "audit_log = \"" + newAudit + "\"");
        Files.writeString(daemon.config(), cfg + "\n[audit]\nmax_files = 3\n\n[metrics]\ntextfile = \"" + textfile
                + "\"\ninterval_ms = 1000\n");
        Commands.Result r = Ctl.run(daemon.socket(), "reload");
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output().trim()).isEqualTo("configuration reloaded");

        // The reload's own audit line is the first one written after the switch: in the new file.
        awaitFile(newAudit, "\"event\":\"config.reload\"");
        assertThat(Files.readString(newAudit)).contains("\"outcome\":\"ok\"");
        // The textfile writer started with the reload (its first write is immediate).
        awaitFile(textfile, "keyinitd_start_time_seconds");

        // Metrics off again: the writer stops (the file is left as it was last written).
        daemon.writeConfig("");
        assertThat(Ctl.run(daemon.socket(), "reload").exit()).isZero();
    }

    @Test
    void keysFixedAtStartAreRefusedByNameAndTheRunningConfigurationKept() throws Exception {
        try {
            daemon.writeConfig("[limits]\nmax_frame = 2048\n");
            Commands.Result r = Ctl.run(daemon.socket(), "reload");
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.output()).contains("configuration rejected, running configuration kept: "
                    + daemon.config() + ":5: limits.max_frame: cannot change while keyinitd runs (running with 4096,"
                    + " the file now says 2048); restart keyinitd to apply it");

            Files.writeString(daemon.config(), Files.readString(daemon.config()).replaceFirst(
                    "socket = \"[^\"]*\"", "socket = \"" + dir.resolve("other.sock") + "\""));
            r = Ctl.run(daemon.socket(), "reload");
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.output()).contains(daemon.config() + ":1: socket: cannot change while keyinitd runs");
        } finally {
            daemon.writeConfig("");
        }
        assertThat(Ctl.run(daemon.socket(), "reload").exit()).isZero();
    }

    @Test
    void dropInsAreReadAtReloadAndWarningsShown() throws Exception {
        Path confd = daemon.config().resolveSibling("conf.d");
        Files.createDirectories(confd);
        Path dropIn = confd.resolve("50-test.toml");
        try {
            Files.writeString(dropIn, """
                    [[rule]]
                    name = "everyone"

                    [[rule]]
                    name = "ssh"
                    match = { service = "sshd" }
                    """);
            Commands.Result r = Ctl.run(daemon.socket(), "reload");
            assertThat(r.exit()).as(r.output()).isZero();
            assertThat(r.output()).contains("configuration reloaded")
                    .contains("warning: " + dropIn + ":4: rule \"ssh\": never matches: rule \"everyone\" (" + dropIn
                            + ":1) matches every login first");
            assertThat(daemon.log()).contains("config warning: " + dropIn + ":4: rule \"ssh\"");
        } finally {
            Files.deleteIfExists(dropIn);
        }
        assertThat(Ctl.run(daemon.socket(), "reload").output().trim()).isEqualTo("configuration reloaded");
    }

    /** Polls (with a deadline) until {@code file} contains {@code text}. */
    private static void awaitFile(Path file, String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (Files.exists(file) && Files.readString(file, StandardCharsets.UTF_8).contains(text)) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError(file + " has no '" + text + "' within 10 s; daemon log:\n" + daemon.log());
    }
}
