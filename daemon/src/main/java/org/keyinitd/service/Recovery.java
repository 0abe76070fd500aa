package org.keyinitd.service;

import org.keyinitd.audit.Outcome;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.keyinitd.audit.AuditEvent;
import org.keyinitd.audit.AuditLog;
import org.keyinitd.keyring.KeyringException;
import org.keyinitd.keyring.SessionKeyrings;
import org.keyinitd.session.Session;
import org.keyinitd.session.SessionRegistry;
import org.keyinitd.session.SessionStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At start, takes back the sessions a previous run of the daemon left in the state directory:
 * those whose keyring is gone are forgotten, those whose process is alive are watched again,
 * those whose process died while the daemon was down are handled as orphans (revoked, under
 * the default policy). Unreadable state files are reported and set aside, never fatal.
 */
public final class Recovery {
    private static final Logger log = LoggerFactory.getLogger(Recovery.class);

    /** What the start found, for the log and the audit line. */
    public record Summary(int recovered, int watching, int orphaned, int gone, int corrupt) {
    }

    private final SessionStore store;
    private final SessionRegistry registry;
    private final SessionKeyrings keyrings;
    private final Liveness liveness;
    private final OrphanHandler orphans;
    private final SessionEnding ending;
    private final AuditLog audit;

    public Recovery(SessionStore store, SessionRegistry registry, SessionKeyrings keyrings, Liveness liveness,
                    OrphanHandler orphans, SessionEnding ending, AuditLog audit) {
        this.ending = ending;
        this.store = store;
        this.registry = registry;
        this.keyrings = keyrings;
        this.liveness = liveness;
        this.orphans = orphans;
        this.audit = audit;
    }

    public Summary run() throws IOException, KeyringException {
        List<String> corrupt = new ArrayList<>();
        List<Session> stored = store.loadAll((entry, reason) -> {
            log.error("skipping corrupt session state file {}: {} (renamed to {}.corrupt)", entry, reason, entry);
            audit.record(AuditEvent.of(SessionAudit.RECOVER, Outcome.CORRUPT.auditName()).with("file", entry).with("reason", reason).build());
            corrupt.add(entry);
        });
        Map<Integer, Integer> alive = keyrings.usages(stored.stream().map(Session::keyringSerial).toList());
        int watching = 0;
        int orphaned = 0;
        int gone = 0;
        for (Session s : stored) {
            registry.restore(s);
            if (s.state() == Session.State.FALLBACK) {
                // not the daemon's keyring: only its process tells whether the login goes on
                if (liveness.watch(s)) {
                    audit.record(SessionAudit.session(SessionAudit.RECOVER, Outcome.WATCHING, s).build());
                    watching++;
                } else {
                    orphans.processGone(s.id(), OrphanHandler.DIED_WHILE_DOWN);
                    orphaned++;
                }
            } else if (!alive.containsKey(s.keyringSerial())) {
                // Revoked or freed while we were down (e.g. the module's fallback revoked it at close).
                ending.forget(s, Outcome.GONE, (o, failure) -> SessionAudit.session(SessionAudit.RECOVER, o, s)
                        .with("reason", "keyring already revoked or gone"));
                gone++;
            } else if (s.state() == Session.State.CLOSING) {
                audit.record(SessionAudit.session(SessionAudit.RECOVER, Outcome.DEFERRED, s).build());
            } else if (liveness.watch(s)) {
                audit.record(SessionAudit.session(SessionAudit.RECOVER, Outcome.WATCHING, s).build());
                watching++;
            } else {
                orphans.processGone(s.id(), OrphanHandler.DIED_WHILE_DOWN);
                orphaned++;
            }
        }
        Summary summary = new Summary(stored.size(), watching, orphaned, gone, corrupt.size());
        if (!stored.isEmpty() || !corrupt.isEmpty()) {
            log.info("recovered {} sessions from the state directory: {} alive, {} orphaned, {} gone, {} corrupt files",
                    summary.recovered(), summary.watching(), summary.orphaned(), summary.gone(), summary.corrupt());
        }
        return summary;
    }
}
