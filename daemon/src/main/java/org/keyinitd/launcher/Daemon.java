package org.keyinitd.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import org.keyinitd.admin.AdminHandler;
import org.keyinitd.admin.DaemonInfo;
import org.keyinitd.audit.AuditEvent;
import org.keyinitd.audit.AuditLog;
import org.keyinitd.config.Config;
import org.keyinitd.config.ConfigException;
import org.keyinitd.config.ConfigLoader;
import org.keyinitd.fs.TrustedPaths;
import org.keyinitd.keyring.KeyringException;
import org.keyinitd.keyring.KeyringService;
import org.keyinitd.linux.Kernel;
import org.keyinitd.linux.KernelException;
import org.keyinitd.liveness.ProcessWatcher;
import org.keyinitd.metrics.Metrics;
import org.keyinitd.metrics.TextfileExporter;
import org.keyinitd.server.SocketServer;
import org.keyinitd.service.DeferredRevoker;
import org.keyinitd.service.Liveness;
import org.keyinitd.service.OrphanHandler;
import org.keyinitd.service.Recovery;
import org.keyinitd.service.Router;
import org.keyinitd.service.NssUsers;
import org.keyinitd.service.SessionService;
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

    private final Config config;
    private final String version;
    private AuditLog audit;
    private KeyringService keyrings;
    private SessionRegistry registry;
    private SocketServer server;
    private SessionService service;
    private DeferredRevoker deferred;
    private ProcessWatcher watcher;
    private TextfileExporter textfile;
    private final Metrics metrics = new Metrics();
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
            keyrings = KeyringService.start(kernel, KeyringService.registryName(config.stateDir()),
                    config.limits().requestTimeoutMillis());
            SessionStore store = new FileSessionStore(config.stateDir());
            registry = new SessionRegistry(store);
            OrphanHandler orphans = new OrphanHandler(keyrings, registry, audit);
            watcher = new ProcessWatcher(kernel, id -> orphans.processGone(id, OrphanHandler.EXITED));
            Liveness liveness = new WatcherLiveness(watcher);
            recovered = new Recovery(store, registry, keyrings, liveness, orphans, audit).run();
            watcher.start();
            service = new SessionService(version, new NssUsers(kernel), keyrings, registry, audit, config.policy(),
                    liveness, orphans);
            deferred = new DeferredRevoker(keyrings, registry, audit);
            deferred.start();
            AdminHandler admin = new AdminHandler(this, registry, keyrings, audit, metrics, this::reload);
            server = new SocketServer(config.socket(), config.limits(), new Router(service, admin, metrics),
                    new LimitedRequests(audit)::report);
            server.start();
            config.metrics().textfile().ifPresent(this::startTextfile);
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
    }

    private void startTextfile(Path file) {
        textfile = new TextfileExporter(file, metrics, () -> new TextfileExporter.Gauges(
                registry.inState(Session.State.OPEN).size(), registry.inState(Session.State.CLOSING).size(),
                registry.inState(Session.State.REVOKED).size(), audit.dropped(), startedAt.getEpochSecond()));
        textfile.start(config.metrics().intervalMillis());
    }

    /**
     * The state directory itself 0700 (whatever the umask); parents it has to create 0755 (the
     * socket may live in one). It and its parents must be root's alone, or the daemon refuses to start.
     */
    private void prepareStateDir() throws IOException {
        TrustedPaths.prepareDirectory(config.stateDir(), "rwx------", "state_dir");
    }

    /**
     * Re-reads the configuration file. A valid file's policy applies to the next login; an
     * invalid file is rejected and the running policy kept. Settings that only take effect at
     * start (socket, paths, limits, audit, metrics) are reported, not applied. Both outcomes are
     * audited. Returns why the file was rejected, or empty.
     */
    public synchronized Optional<String> reload() {
        if (service == null) {
            return Optional.of("the daemon is not running");
        }
        Config next;
        try {
            next = ConfigLoader.load(config.file());
        } catch (ConfigException e) {
            log.error("reload rejected, keeping the running policy: {}", e.getMessage());
            audit.record(AuditEvent.of("config.reload", "rejected").with("config", config.file().toString())
                    .with("reason", e.getMessage()).build());
            return Optional.of(e.getMessage());
        }
        service.setPolicy(next.policy());
        configLoadedAt = Instant.now();
        if (!next.socket().equals(config.socket()) || !next.stateDir().equals(config.stateDir())
                || !next.auditLog().equals(config.auditLog()) || !next.limits().equals(config.limits())
                || !next.audit().equals(config.audit()) || !next.metrics().equals(config.metrics())) {
            log.warn("reload: socket, state_dir, audit_log, [limits], [audit] and [metrics] changes take effect "
                    + "at the next start");
        }
        audit.record(AuditEvent.of("config.reload", "ok").with("config", config.file().toString())
                .with("rules", next.policy().rules().size()).build());
        log.info("reloaded {}: {} rules", config.file(), next.policy().rules().size());
        return Optional.empty();
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
    public Instant configLoadedAt() {
        return configLoadedAt;
    }

    @Override
    public long auditDropped() {
        return audit == null ? 0 : audit.dropped();
    }

    @Override
    public synchronized void close() {
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
        log.info("keyinitd stopped");
    }
}
