package org.keyinitd.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The real daemon jar, started as its own process with a config of the test's making. */
final class DaemonProcess implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final Path socket;
    private final Path auditLog;
    private Path log;
    private int launches;
    private Process process;
    /** A shell command run before the daemon is exec'd (a umask, a trap), or null. */
    private String prelude;
    private java.util.Map<String, String> environment = java.util.Map.of();

    private DaemonProcess(Path dir) {
        this.dir = dir;
        this.socket = dir.resolve("run/keyinitd.sock");
        this.auditLog = dir.resolve("log/audit.log");
    }

    /** Starts the daemon with the given extra TOML appended to the paths, and waits for "ready". */
    static DaemonProcess start(Path dir, String extraToml) throws IOException, InterruptedException {
        ensureAnchorAccount();
        Files.createDirectories(dir);
        TestDirs.openToAll(dir);
        DaemonProcess d = new DaemonProcess(dir);
        d.launch(extraToml);
        return d;
    }

    /** The system account whose user keyring anchors the registry (the package makes it on a real host). */
    static synchronized void ensureAnchorAccount() throws IOException, InterruptedException {
        if (Commands.run(List.of("getent", "passwd", "keyinitd")).exit() != 0) {
            Commands.check(List.of("useradd", "--system", "--user-group", "--no-create-home", "--home-dir",
                    "/nonexistent", "--shell", "/usr/sbin/nologin", "--comment", "keyinitd keyring anchor",
                    "keyinitd"));
        }
    }

    /** As {@link #start(Path, String)}, with these variables in the daemon's environment (e.g. NOTIFY_SOCKET). */
    static DaemonProcess startWithEnvironment(Path dir, String extraToml, java.util.Map<String, String> env)
            throws IOException, InterruptedException {
        ensureAnchorAccount();
        Files.createDirectories(dir);
        TestDirs.openToAll(dir);
        DaemonProcess d = new DaemonProcess(dir);
        d.environment = java.util.Map.copyOf(env);
        d.launch(extraToml);
        return d;
    }

    /** As {@link #start(Path, String)}, with the daemon started under {@code umask} (e.g. "000"). */
    static DaemonProcess startWithUmask(Path dir, String extraToml, String umask) throws IOException,
            InterruptedException {
        ensureAnchorAccount();
        Files.createDirectories(dir);
        TestDirs.openToAll(dir);
        DaemonProcess d = new DaemonProcess(dir);
        d.prelude = "umask " + umask;
        d.launch(extraToml);
        return d;
    }

    /** As {@link #start(Path, String)}, with these signals ignored, as nohup(1) or a shell's background job leaves them. */
    static DaemonProcess startIgnoring(Path dir, String extraToml, String signals) throws IOException,
            InterruptedException {
        ensureAnchorAccount();
        Files.createDirectories(dir);
        TestDirs.openToAll(dir);
        DaemonProcess d = new DaemonProcess(dir);
        d.prelude = "trap '' " + signals;
        d.launch(extraToml);
        return d;
    }

    /** Runs the daemon with this config, expecting it to refuse to start: its exit status and output. */
    static Commands.Result startRefused(Path dir, String extraToml) throws IOException, InterruptedException {
        ensureAnchorAccount();
        Files.createDirectories(dir);
        DaemonProcess d = new DaemonProcess(dir);
        d.writeConfig(extraToml);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return Commands.run(List.of(java, "-jar", jar().toString(), "--config", d.config().toString()));
    }

    /** Bytes in every file the daemon writes: the audit directory (all rotations) and its own logs. */
    long bytesLogged() throws IOException {
        long total = 0;
        for (Path parent : List.of(auditLog.getParent(), dir)) {
            if (!Files.isDirectory(parent)) {
                continue;
            }
            try (java.util.stream.Stream<Path> files = Files.list(parent)) {
                for (Path f : files.toList()) {
                    String name = f.getFileName().toString();
                    if (Files.isRegularFile(f) && (parent != dir || name.startsWith("daemon-"))) {
                        total += Files.size(f);
                    }
                }
            }
        }
        return total;
    }

    Path auditLog() {
        return auditLog;
    }

    /** Rewrites the config file: the test's paths plus {@code extraToml}. */
    void writeConfig(String extraToml) throws IOException {
        Files.writeString(config(), "socket = \"" + socket + "\"\n"
                + "state_dir = \"" + dir.resolve("state") + "\"\n"
                + "audit_log = \"" + auditLog + "\"\n" + extraToml);
    }

    Path config() {
        return dir.resolve("keyinitd.toml");
    }

    /** SIGHUP, then waits until the reload shows in the audit log (either outcome). */
    JsonNode reload() throws IOException, InterruptedException {
        int before = audit("config.reload", "ok").size() + audit("config.reload", "rejected").size();
        Commands.check(List.of("kill", "-HUP", Long.toString(process.pid())));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            List<JsonNode> all = new ArrayList<>(audit("config.reload", "ok"));
            all.addAll(audit("config.reload", "rejected"));
            if (all.size() > before) {
                all.sort(java.util.Comparator.comparing(n -> n.get("ts").asText()));
                return all.get(all.size() - 1);
            }
            Thread.sleep(20);
        }
        throw new IOException("no config.reload audit line within 10 s of SIGHUP:\n" + log());
    }

    /** Waits for an audit line matching {@code test}, at most {@code seconds}. */
    JsonNode awaitAudit(java.util.function.Predicate<JsonNode> test, int seconds) throws IOException,
            InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            for (JsonNode n : audit()) {
                if (test.test(n)) {
                    return n;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no matching audit line within " + seconds + " s; audit log:\n" + audit());
    }

    /** Waits until the daemon's log contains {@code fragment}, at most {@code seconds}. */
    void awaitLog(String fragment, int seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (log().contains(fragment)) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no \"" + fragment + "\" in the daemon log within " + seconds + " s:\n" + log());
    }

    private void launch(String extraToml) throws IOException, InterruptedException {
        writeConfig(extraToml);
        launch();
    }

    /** Starts the daemon again with the config as it is (after {@link #kill9()} or {@link #stop()}). */
    void restart() throws IOException, InterruptedException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("daemon still running");
        }
        launch();
    }

    /** SIGKILL: no shutdown hook, nothing flushed or cleaned up. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    private void launch() throws IOException, InterruptedException {
        Path config = config();
        log = dir.resolve("daemon-" + (++launches) + ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = prelude == null ? List.of(java, "-jar", jar().toString(), "--config", config.toString())
                : List.of("sh", "-c", prelude + " && exec \"$0\" -jar \"$1\" --config \"$2\"", java,
                        jar().toString(), config.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(environment);
        process = pb
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains(" ready on ")) {
                return;
            }
            if (!process.isAlive()) {
                throw new IOException("daemon exited with " + process.exitValue() + ":\n" + Files.readString(log));
            }
            Thread.sleep(50);
        }
        throw new IOException("daemon did not log 'ready' within 30 s:\n" + Files.readString(log));
    }

    static Path jar() {
        return Path.of(System.getProperty("keyinitd.jar", "target/keyinitd.jar"));
    }

    Path socket() {
        return socket;
    }

    long pid() {
        return process.pid();
    }

    /** A value (kB for sizes, or a count) from the daemon's /proc/PID/status, e.g. VmRSS, Threads. */
    long procStatus(String key) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
            if (line.startsWith(key + ":")) {
                return Long.parseLong(line.replaceAll("\\D+", " ").trim().split(" ")[0]);
            }
        }
        throw new IOException("no " + key + " in /proc/" + pid() + "/status");
    }

    String log() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    /**
     * Every audit line so far, parsed; a line that is not JSON fails the test. Lines reach the
     * file from the daemon's audit queue a moment after the reply: wait until the file is quiet.
     */
    List<JsonNode> audit() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        if (!Files.exists(auditLog)) {
            return out;
        }
        awaitQuietAuditLog();
        for (String line : Files.readAllLines(auditLog, StandardCharsets.UTF_8)) {
            org.keyinitd.audit.AuditSchema.check(line);
            out.add(JSON.readTree(line));
        }
        return out;
    }

    private void awaitQuietAuditLog() throws IOException {
        long last = -1;
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < deadline) {
            long size = Files.size(auditLog);
            if (size == last) {
                return;
            }
            last = size;
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Audit lines of one event and outcome. */
    List<JsonNode> audit(String event, String outcome) throws IOException {
        return audit().stream()
                .filter(n -> n.path("event").asText().equals(event) && n.path("outcome").asText().equals(outcome))
                .toList();
    }

    /** SIGTERM, then wait; returns the exit code. */
    int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor();
        }
        return process.exitValue();
    }

    /** Every line of the audit log and its rotations matches docs/audit.schema.json. */
    private void checkEveryAuditLine() throws IOException {
        Path logDir = auditLog.getParent();
        if (!Files.isDirectory(logDir)) {
            return;
        }
        try (java.util.stream.Stream<Path> files = Files.list(logDir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().startsWith("audit.log")).toList()) {
                for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                    org.keyinitd.audit.AuditSchema.check(line);
                }
            }
        }
    }

    Path stateDir() {
        return dir.resolve("state");
    }

    /**
     * Stops the daemon and removes its registry keyring from the anchor (the keyinitd account's
     * user keyring), where it would otherwise stay (by design: to outlive restarts) until reboot.
     * Only a process whose real uid is the anchor's can reach it: the clean-up runs as that uid.
     */
    @Override
    public void close() throws Exception {
        if (process != null && process.isAlive()) {
            stop();
        }
        unlinkRegistry(stateDir());
        checkEveryAuditLine();
    }

    /** Unlinks the registry keyring of a daemon with this state_dir from the anchor (it would stay until reboot). */
    static void unlinkRegistry(Path stateDir) throws IOException, InterruptedException {
        String name = org.keyinitd.keyring.KeyringService.registryName(stateDir);
        Commands.run(List.of("setpriv", "--reuid=keyinitd", "--regid=keyinitd", "--clear-groups", "sh", "-c",
                "for id in $(keyctl rlist @u); do keyctl rdescribe \"$id\" | grep -q \";$1\\$\" && "
                        + "keyctl unlink \"$id\" @u; done", "sh", name));
    }
}
