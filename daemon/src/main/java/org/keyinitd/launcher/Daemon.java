package org.keyinitd.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import org.keyinitd.audit.AuditEvent;
import org.keyinitd.audit.AuditLog;
import org.keyinitd.config.Config;
import org.keyinitd.keyring.KeyringException;
import org.keyinitd.keyring.KeyringService;
import org.keyinitd.linux.Kernel;
import org.keyinitd.policy.Policy;
import org.keyinitd.server.SocketServer;
import org.keyinitd.service.SessionService;
import org.keyinitd.session.SessionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the parts together and owns their lifecycle: start in dependency order, stop in reverse.
 * Used by the foreground launcher ({@link Main}) and, later, by the jsvc adapter.
 */
public final class Daemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);

    private final Config config;
    private final String version;
    private AuditLog audit;
    private KeyringService keyrings;
    private SessionRegistry registry;
    private SocketServer server;

    public Daemon(Config config, String version) {
        this.config = config;
        this.version = version;
    }

    /** Starts everything; on failure, whatever was started is stopped again. */
    public void start() throws IOException, KeyringException {
        long t0 = System.nanoTime();
        try {
            Kernel kernel = new Kernel();
            prepareStateDir();
            audit = AuditLog.open(config.auditLog());
            keyrings = KeyringService.start(kernel, config.limits().requestTimeoutMillis());
            registry = new SessionRegistry();
            SessionService service = new SessionService(version, kernel::passwdByName, keyrings, registry, audit,
                    new Policy(config.defaults()));
            server = new SocketServer(config.socket(), config.limits(), service);
            server.start();
        } catch (IOException | KeyringException | RuntimeException e) {
            close();
            throw e;
        }
        audit.record(AuditEvent.of("daemon.start", "ok").with("version", version)
                .with("config", config.file().toString()).with("pid", ProcessHandle.current().pid()).build());
        log.info("keyinitd {} ready on {} (config {}, pid {}, started in {} ms)", version, config.socket(),
                config.file(), ProcessHandle.current().pid(), (System.nanoTime() - t0) / 1_000_000);
    }

    private void prepareStateDir() throws IOException {
        if (!Files.isDirectory(config.stateDir())) {
            Files.createDirectories(config.stateDir(),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
    }

    public SessionRegistry sessions() {
        return registry;
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            server.close();
            server = null;
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
