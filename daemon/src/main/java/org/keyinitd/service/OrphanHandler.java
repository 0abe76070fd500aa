package org.keyinitd.service;

import org.keyinitd.audit.AuditLog;
import org.keyinitd.keyring.KeyringException;
import org.keyinitd.keyring.SessionKeyrings;
import org.keyinitd.policy.CloseAction;
import org.keyinitd.session.Session;
import org.keyinitd.session.SessionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session's process died without closing the session (killed, crashed, OOM-killed), or died
 * while the daemon was down. With {@code revoke_on_exit} (the default) that counts as the close
 * it never sent: the keyring is revoked (or deferred, or released) as its policy says. Without
 * it, the session stays open for a close from another process (login programs that daemonize).
 * Audited as {@code session.orphan}.
 */
public final class OrphanHandler {
    static final String EVENT = "session.orphan";
    public static final String EXITED = "process exited without closing the session";
    public static final String DIED_WHILE_DOWN = "process died while the daemon was down";

    private static final Logger log = LoggerFactory.getLogger(OrphanHandler.class);

    private final SessionKeyrings keyrings;
    private final SessionRegistry registry;
    private final AuditLog audit;

    public OrphanHandler(SessionKeyrings keyrings, SessionRegistry registry, AuditLog audit) {
        this.keyrings = keyrings;
        this.registry = registry;
        this.audit = audit;
    }

    public void processGone(String sessionId, String reason) {
        Session s = registry.get(sessionId).orElse(null);
        if (s != null && s.state() == Session.State.REVOKED && registry.remove(s.id()).isPresent()) {
            record(s, "already-revoked", reason); // an admin revoked it; now its listing ends too
            return;
        }
        if (s == null || s.state() != Session.State.OPEN) {
            return; // closed normally, or already being revoked
        }
        if (!s.revokeOnExit()) {
            record(s, "kept-open", reason + "; revoke_on_exit = false");
            return;
        }
        switch (s.revoke()) {
            case WHEN_UNUSED -> {
                if (registry.markClosing(s.id())) {
                    record(s, "deferred", reason);
                }
            }
            case ALWAYS -> kill(s, reason);
            case NEVER -> release(s, reason);
        }
    }

    private void kill(Session s, String reason) {
        if (registry.remove(s.id()).isEmpty()) {
            return;
        }
        boolean invalidate = s.closeAction() == CloseAction.INVALIDATE;
        try {
            keyrings.kill(s.keyringSerial(), invalidate);
        } catch (KeyringException e) {
            registry.add(s);
            log.error("cannot revoke keyring {} of orphaned session {}: {}", s.keyringSerial(), s.id(), e.getMessage());
            record(s, "error", reason + "; " + e.getMessage());
            return;
        }
        record(s, invalidate ? "invalidated" : "revoked", reason);
    }

    private void release(Session s, String reason) {
        if (registry.remove(s.id()).isEmpty()) {
            return;
        }
        try {
            keyrings.release(s.keyringSerial());
        } catch (KeyringException e) {
            log.warn("cannot release keyring {} of session {}: {}", s.keyringSerial(), s.id(), e.getMessage());
        }
        record(s, "released", reason);
    }

    private void record(Session s, String outcome, String reason) {
        audit.record(SessionAudit.session(EVENT, outcome, s).with("pid", s.pid()).with("reason", reason).build());
        log.info("session {} for {}: process {} gone ({}): keyring {} {}", s.id(), s.user(), s.pid(), reason,
                s.keyringSerial(), outcome);
    }
}
