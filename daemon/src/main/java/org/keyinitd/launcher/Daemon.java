package org.keyinitd.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.keyinitd.admin.AdminHandler;
import org.keyinitd.admin.DaemonInfo;
import org.keyinitd.admin.Reloader;
import java.nio.file.attribute.PosixFilePermissions;
import org.keyinitd.audit.AuditEvent;
import org.keyinitd.audit.AuditLog;
import org.keyinitd.audit.KernelAuditTrail;
import org.keyinitd.config.Config;
import org.keyinitd.config.ConfigException;
import org.keyinitd.config.ConfigLoader;
import org.keyinitd.config.ConfigWarnings;
import org.keyinitd.config.Limits;
import org.keyinitd.fs.TrustedPaths;
import org.keyinitd.keyring.KeyringException;
import org.keyinitd.keyring.KeyringService;
import org.keyinitd.linux.Kernel;
import org.keyinitd.linux.KernelAudit;
import org.keyinitd.linux.MonotonicClock;
import org.keyinitd.linux.KernelException;
import org.keyinitd.liveness.ProcessWatcher;
import org.keyinitd.metrics.Metrics;
import org.keyinitd.metrics.TextfileExporter;
import org.keyinitd.server.SocketServer;
import org.keyinitd.service.DeferredRevoker;
import org.keyinitd.service.FallbackIntake;
import org.keyinitd.service.Liveness;
import org.keyinitd.service.OrphanHandler;
import org.keyinitd.service.LifetimeReaper;
import org.keyinitd.service.Recovery;
import org.keyinitd.service.SessionEnding;
import org.keyinitd.service.NssUsers;
import org.keyinitd.service.SessionService;
import org.keyinitd.session.FallbackSpool;
import org.keyinitd.session.FileSessionStore;
import org.keyinitd.session.Session;
import org.keyinitd.session.SessionRegistry;
import org.keyinitd.session.SessionStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the parts together and owns their lifecycle: start in dependency order, stop in reverse.
 * Used by the foreground launcher ({@link Main}) and by the jsvc adapter ({@link JsvcDaemon}).
 */
public final class Daemon implements AutoCloseable, DaemonInfo {
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);

    /** The configuration in force: the one started with, then each applied reload's. */
    private volatile Config config;
    private final String version;
    private AuditLog audit;
    private KernelAudit kernelAudit;
    private KernelAuditTrail kernelTrail;
    private KeyringService keyrings;
    private SessionRegistry registry;
    private SocketServer server;
    private SessionService service;
    private DeferredRevoker deferred;
    private LifetimeReaper reaper;
    private FallbackIntake fallbacks;
    private ProcessWatcher watcher;
    private TextfileExporter textfile;
    private final Metrics metrics = new Metrics();
    private final SystemdNotify systemd = SystemdNotify.fromEnvironment();
    private final Instant startedAt = Instant.now();
    private volatile Instant configLoadedAt = Instant.now();

    public Daemon(Config config, String version) {
        this.config = config;
        this.version = version;
    }

    /** Starts everything; on failure, whatever was started is stopped again. */
    public void start() throws IOException, KeyringException, KernelException {
        long t0 = System.nanoTime();
        Recovery.Summary recovered;
        try {
            Kernel kernel = new Kernel();
            prepareStateDir();
            audit = AuditLog.open(config.audit());
            audit.addListener(metrics::onAudit);
            startKernelAudit();
            keyrings = KeyringService.start(kernel, KeyringService.registryName(config.stateDir()),
                    KeyringService.anchorUid(kernel),
                    config.limits().requestTimeoutMillis());
            SessionStore store = new FileSessionStore(config.stateDir());
            registry = new SessionRegistry(store);
            SessionEnding ending = new SessionEnding(keyrings, registry, audit);
            OrphanHandler orphans = new OrphanHandler(registry, ending, audit);
            watcher = new ProcessWatcher(kernel, id -> orphans.processGone(id, OrphanHandler.EXITED));
            Liveness liveness = new WatcherLiveness(watcher);
            recovered = new Recovery(store, registry, keyrings, liveness, orphans, ending, audit).run();
            watcher.start();
            MonotonicClock clock = MonotonicClock.calibrate(kernel);
            service = new SessionService(version, new NssUsers(kernel), keyrings, registry, audit, config.policy(),
                    liveness, orphans, ending, clock::nanos);
            deferred = new DeferredRevoker(keyrings, registry, ending);
            deferred.start();
            reaper = new LifetimeReaper(keyrings, registry, ending);
            reaper.start();
            startFallbackIntake(liveness, orphans);
            AdminHandler admin = new AdminHandler(this, registry, keyrings, ending, audit, metrics, this::reload);
            server = new SocketServer(config.socket(), config.limits(), new Router(service, admin, metrics), kernel,
                    new LimitedRequests(audit)::report);
            server.start();
            config.metrics().textfile().ifPresent(f -> startTextfile(f, config.metrics().intervalMillis()));
        } catch (IOException | KeyringException | KernelException | RuntimeException e) {
            close();
            throw e;
        }
        audit.record(AuditEvent.of("daemon.start", "ok").with("version", version)
                .with("config", config.file().toString()).with("pid", ProcessHandle.current().pid())
                .with("sessions_recovered", recovered.recovered()).with("orphans_revoked", recovered.orphaned())
                .with("corrupt_state_files", recovered.corrupt()).build());
        log.info("keyinitd {} ready on {} (config {}, pid {}, {} sessions recovered, started in {} ms)", version,
                config.socket(), config.file(), ProcessHandle.current().pid(), recovered.recovered(),
                (System.nanoTime() - t0) / 1_000_000);
        if (config.sources().files().size() > 1) {
            log.info("configuration: {}", config.sources().files());
        }
        ConfigWarnings.check(config, ConfigWarnings.NSS).forEach(w -> log.warn("config warning: {}", w));
        systemd.ready(ProcessHandle.current().pid()); // Type=notify: logins may come now
    }

    /**
     * Logins the module served in-process while the daemon was unreachable: learnt now, from
     * their records, before the first new login, and then while running. A spool directory that
     * is not root's alone is not read (logged); the daemon runs on without it.
     */
    private void startFallbackIntake(Liveness liveness, OrphanHandler orphans) {
        FallbackSpool spool;
        try {
            spool = FallbackSpool.nextTo(config.socket());
        } catch (IOException e) {
            log.error("fallback spool not used, so logins served in-process while the daemon is unreachable will "
                    + "not be learnt: {}", e.getMessage());
            return;
        }
        fallbacks = new FallbackIntake(spool, registry, liveness, orphans, audit);
        fallbacks.takeIn();
        fallbacks.start();
    }

    /** The kernel audit copy (docs/audit.md, "Kernel audit"): on where libaudit and the kernel's audit are. */
    private void startKernelAudit() {
        kernelAudit = KernelAudit.open();
        if (kernelAudit.available()) {
            KernelAudit k = kernelAudit;
            KernelAuditTrail trail = new KernelAuditTrail(r -> {
                int errno = k.send(r.type(), r.message(), r.hostname(), r.addr(), r.terminal(), r.success());
                return errno == 0 ? null : KernelAudit.strerror(errno) + " (errno " + errno + ")";
            });
            kernelTrail = trail;
            audit.addListener(trail);
        }
    }

    private void startTextfile(Path file, long intervalMillis) {
        textfile = new TextfileExporter(file, metrics, () -> new TextfileExporter.Gauges(
                registry.inState(Session.State.OPEN).size(), registry.inState(Session.State.CLOSING).size(),
                registry.inState(Session.State.REVOKED).size(), audit.dropped(), startedAt.getEpochSecond()));
        textfile.start(intervalMillis);
    }

    /**
     * The state directory itself 0700 (whatever the umask); parents it has to create 0755 (the
     * socket may live in one). It and its parents must be root's alone, or the daemon refuses to start.
     */
    private void prepareStateDir() throws IOException {
        TrustedPaths.prepareDirectory(config.stateDir(), "rwx------", "state_dir");
    }

    /**
     * Re-reads the configuration file (and its drop-ins) and applies it whole, or rejects it
     * whole and keeps the running configuration. Applied at run time: the policy (next login),
     * {@code audit_log} and {@code [audit]} (between two audit lines; see AuditLog.reconfigure),
     * {@code [metrics]} (the textfile writer is restarted). Refused, naming the key, because
     * they are fixed while the daemon runs: {@code socket} (bound), {@code state_dir} (the
     * registry keyring's name is derived from it), {@code [limits]} (the socket server and the
     * keyring worker are built with them) and {@code audit.queue_size} (the queue is allocated at
     * start). Both outcomes are audited ({@code config.reload}); warnings are logged.
     */
    public synchronized Reloader.Result reload() {
        if (service == null) {
            return Reloader.Result.rejected("the daemon is not running");
        }
        systemd.reloading();
        try {
            return reloadConfig();
        } finally {
            systemd.reloaded();
        }
    }

    private Reloader.Result reloadConfig() {
        Config running = config;
        Config next;
        try {
            next = ConfigLoader.load(running.file());
        } catch (ConfigException e) {
            return rejected(e.getMessage());
        }
        List<String> fixed = fixedAtStart(running, next);
        if (!fixed.isEmpty()) {
            return rejected(String.join("; ", fixed));
        }
        if (!next.audit().equals(running.audit())) {
            try {
                audit.reconfigure(next.audit(), running.audit());
            } catch (IOException | RuntimeException e) {
                return rejected(next.sources().of("audit_log").map(o -> o + ": ").orElse("")
                        + "audit_log: cannot open " + next.audit().file() + ": " + e.getMessage());
            }
            log.info("reload: audit settings applied ({})", next.audit());
        }
        if (!next.metrics().equals(running.metrics())) {
            if (textfile != null) {
                textfile.close();
                textfile = null;
            }
            next.metrics().textfile().ifPresent(f -> startTextfile(f, next.metrics().intervalMillis()));
            log.info("reload: metrics settings applied ({})", next.metrics());
        }
        service.setPolicy(next.policy());
        config = next;
        configLoadedAt = Instant.now();
        List<String> warnings = ConfigWarnings.check(next, ConfigWarnings.NSS);
        warnings.forEach(w -> log.warn("config warning: {}", w));
        audit.record(AuditEvent.of("config.reload", "ok").with("config", running.file().toString())
                .with("rules", next.policy().rules().size()).build());
        log.info("reloaded {} ({} files): {} rules", running.file(), next.sources().files().size(),
                next.policy().rules().size());
        return Reloader.Result.applied(warnings);
    }

    private Reloader.Result rejected(String reason) {
        log.error("reload rejected, keeping the running configuration: {}", reason);
        audit.record(AuditEvent.of("config.reload", "rejected").with("config", config.file().toString())
                .with("reason", reason).build());
        return Reloader.Result.rejected(reason);
    }

    /** The keys a reload cannot change, each named with where the new value is written. */
    static List<String> fixedAtStart(Config running, Config next) {
        List<String> out = new ArrayList<>();
        fixed(out, next, "socket", running.socket(), next.socket());
        fixed(out, next, "state_dir", running.stateDir(), next.stateDir());
        Limits a = running.limits();
        Limits b = next.limits();
        fixed(out, next, "limits.max_frame", a.maxFrame(), b.maxFrame());
        fixed(out, next, "limits.max_connections", a.maxConnections(), b.maxConnections());
        fixed(out, next, "limits.max_connections_per_uid", a.maxConnectionsPerUid(), b.maxConnectionsPerUid());
        fixed(out, next, "limits.idle_timeout_ms", a.idleTimeoutMillis(), b.idleTimeoutMillis());
        fixed(out, next, "limits.request_timeout_ms", a.requestTimeoutMillis(), b.requestTimeoutMillis());
        fixed(out, next, "audit.queue_size", running.audit().queueSize(), next.audit().queueSize());
        return out;
    }

    private static void fixed(List<String> out, Config next, String key, Object was, Object now) {
        if (!was.equals(now)) {
            out.add(next.sources().of(key).map(o -> o + ": ").orElse(next.file() + ": ") + key
                    + ": cannot change while keyinitd runs (running with " + was + ", the file now says " + now
                    + "); restart keyinitd to apply it, or put it back");
        }
    }

    /** SIGUSR1: reopens the audit log by name (after logrotate); the daemon log is stderr, nothing to do. */
    public void reopenLogs() {
        AuditLog a = audit;
        if (a != null) {
            a.reopen();
            log.info("reopened the audit log {}", config.auditLog());
        }
    }

    @Override
    public String version() {
        return version;
    }

    @Override
    public long pid() {
        return ProcessHandle.current().pid();
    }

    @Override
    public Instant startedAt() {
        return startedAt;
    }

    @Override
    public Path configFile() {
        return config.file();
    }

    @Override
    public Path auditLog() {
        return config.audit().file();
    }

    @Override
    public Instant configLoadedAt() {
        return configLoadedAt;
    }

    @Override
    public long auditDropped() {
        return audit == null ? 0 : audit.dropped();
    }

    @Override
    public synchronized void close() {
        if (service != null) {
            systemd.stopping();
        }
        service = null; // a reload (SIGHUP) after this point finds the daemon stopped, not half torn down
        if (textfile != null) {
            textfile.close();
            textfile = null;
        }
        if (server != null) {
            server.close();
            server = null;
        }
        if (deferred != null) {
            deferred.close();
            deferred = null;
        }
        if (reaper != null) {
            reaper.close();
            reaper = null;
        }
        if (fallbacks != null) {
            fallbacks.close();
            fallbacks = null;
        }
        if (watcher != null) {
            watcher.close();
            watcher = null;
        }
        if (keyrings != null) {
            keyrings.close();
            keyrings = null;
        }
        if (audit != null) {
            audit.record(AuditEvent.of("daemon.stop", "ok").with("version", version)
                    .with("sessions_open", registry == null ? 0 : registry.size()).build());
            audit.close();
            audit = null;
        }
        if (kernelTrail != null) {
            kernelTrail.close(); // after the audit log: no listener call can come any more
            kernelTrail = null;
        }
        if (kernelAudit != null) {
            kernelAudit.close();
            kernelAudit = null;
        }
        log.info("keyinitd stopped");
    }
}
