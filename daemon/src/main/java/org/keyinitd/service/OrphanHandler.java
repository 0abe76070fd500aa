package org.keyinitd.service;

import org.keyinitd.audit.Outcome;
import org.keyinitd.audit.AuditLog;
import org.keyinitd.session.Session;
import org.keyinitd.session.SessionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session's process died without closing the session (killed, crashed, OOM-killed), or died
 * while the daemon was down. With {@code revoke_on_exit} (the default) that counts as the close
 * it never sent: the keyring is revoked (or deferred, or released) as its policy says. Without
 * it, the session stays open for a close from another process (login programs that daemonize).
 * Audited as {@code session.orphan}. A {@link Session.State#FALLBACK} session, whose keyring is
 * not the daemon's, just ends there ({@code session.fallback} {@code ended}).
 */
public final class OrphanHandler {
    public static final String EXITED = "process exited without closing the session";
    public static final String DIED_WHILE_DOWN = "process died while the daemon was down";

    private static final Logger log = LoggerFactory.getLogger(OrphanHandler.class);

    private final SessionRegistry registry;
    private final SessionEnding ending;
    private final AuditLog audit;

    public OrphanHandler(SessionRegistry registry, SessionEnding ending, AuditLog audit) {
        this.registry = registry;
        this.ending = ending;
        this.audit = audit;
    }

    public void processGone(String sessionId, String reason) {
        Session s = registry.get(sessionId).orElse(null);
        if (s == null) {
            return; // closed normally
        }
        SessionEnding.AuditLine line = (o, failure) -> SessionAudit.session(SessionAudit.ORPHAN, o, s)
                .with("reason", failure == null ? reason : reason + "; " + failure);
        switch (s.state()) {
            case REVOKED -> ending.forget(s, Outcome.ALREADY_REVOKED, line).ifPresent(o -> logged(s, o, reason));
            case CLOSING -> { } // already being revoked
            case FALLBACK -> ending.forget(s, Outcome.ENDED, (o, failure) -> SessionAudit.session(
                    SessionAudit.FALLBACK, o, s).with("end_reason", reason)).ifPresent(o -> logged(s, o, reason));
            case OPEN -> {
                if (!s.revokeOnExit()) {
                    audit.record(SessionAudit.session(SessionAudit.ORPHAN, Outcome.KEPT_OPEN, s)
                            .with("reason", reason + "; revoke_on_exit = false").build());
                    logged(s, Outcome.KEPT_OPEN, reason);
                    return;
                }
                switch (s.revoke()) {
                    case WHEN_UNUSED -> {
                        if (registry.markClosing(s.id())) {
                            audit.record(line.of(Outcome.DEFERRED, null).build());
                            logged(s, Outcome.DEFERRED, reason);
                        }
                    }
                    case ALWAYS -> ending.kill(s, null, line).ifPresent(o -> logged(s, o, reason));
                    case NEVER -> ending.release(s, Outcome.RELEASED, line).ifPresent(o -> logged(s, o, reason));
                }
            }
        }
    }

    private static void logged(Session s, Outcome o, String reason) {
        log.info("session {} for {}: process {} gone ({}): keyring {} {}", s.id(), s.user(), s.pid(), reason,
                s.keyringSerial(), o.auditName());
    }
}
