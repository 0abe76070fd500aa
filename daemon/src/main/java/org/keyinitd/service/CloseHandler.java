package org.keyinitd.service;

import java.util.Optional;
import org.keyinitd.audit.AuditEvent;
import org.keyinitd.audit.AuditLog;
import org.keyinitd.keyring.KeyringException;
import org.keyinitd.keyring.SessionKeyrings;
import org.keyinitd.policy.CloseAction;
import org.keyinitd.policy.RevokeMode;
import org.keyinitd.protocol.CloseRequest;
import org.keyinitd.protocol.Decision;
import org.keyinitd.protocol.Field;
import org.keyinitd.protocol.Fields;
import org.keyinitd.protocol.Op;
import org.keyinitd.protocol.Reply;
import org.keyinitd.protocol.Status;
import org.keyinitd.server.PeerCredentials;
import org.keyinitd.session.Session;
import org.keyinitd.session.SessionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** CLOSE: authorize, then revoke, release, or defer until the keyring is unused. */
final class CloseHandler {
    private static final Logger log = LoggerFactory.getLogger(CloseHandler.class);

    private final SessionKeyrings keyrings;
    private final SessionRegistry registry;
    private final AuditLog audit;
    private final Liveness liveness;

    CloseHandler(SessionKeyrings keyrings, SessionRegistry registry, AuditLog audit, Liveness liveness) {
        this.keyrings = keyrings;
        this.registry = registry;
        this.audit = audit;
        this.liveness = liveness;
    }

    Reply close(PeerCredentials peer, CloseRequest req) {
        Optional<Session> found = registry.get(req.sessionId()).filter(s -> s.state() != Session.State.CLOSING);
        if (found.isEmpty()) {
            audit.record(SessionAudit.closeNotFound(peer, req.sessionId()).build());
            return Reply.error(Op.CLOSE.code(), Status.NOT_FOUND, "no open session " + req.sessionId());
        }
        Session s = found.get();
        Optional<String> refusal = Authorizer.checkClose(peer, s.uid());
        if (refusal.isPresent()) {
            audit.record(SessionAudit.close("denied", peer, s).with("reason", refusal.get()).build());
            return Reply.error(Op.CLOSE.code(), Status.DENIED, refusal.get());
        }
        liveness.unwatch(s.id()); // a close, not a death
        if (s.state() == Session.State.REVOKED) {
            return closeRevoked(peer, s);
        }
        req.joinedSerial().filter(j -> j != s.keyringSerial()).ifPresent(j ->
                log.warn("{}: CLOSE of {} says keyring {}, the daemon made {}", peer, s.id(), j, s.keyringSerial()));
        if (!req.abort() && s.revoke() == RevokeMode.WHEN_UNUSED) {
            return defer(peer, s);
        }
        if (registry.remove(s.id()).isEmpty()) {
            return Reply.error(Op.CLOSE.code(), Status.NOT_FOUND, "session " + s.id() + " already closed");
        }
        boolean kill = req.abort() || s.revoke() == RevokeMode.ALWAYS;
        boolean invalidate = s.closeAction() == CloseAction.INVALIDATE;
        try {
            if (kill) {
                keyrings.kill(s.keyringSerial(), invalidate);
            } else {
                keyrings.release(s.keyringSerial());
            }
        } catch (KeyringException e) {
            registry.add(s); // still alive as far as we know: keep it visible
            audit.record(SessionAudit.close("error", peer, s).with("reason", e.getMessage()).build());
            log.error("{}: cannot close session {}: {}", peer, s.id(), e.getMessage());
            return Reply.error(Op.CLOSE.code(), Status.FAILED, "cannot close session " + s.id() + ": " + e.getMessage());
        }
        String outcome = req.abort() ? "aborted" : !kill ? "kept" : invalidate ? "invalidated" : "revoked";
        audit.record(SessionAudit.close(outcome, peer, s).build());
        log.debug("{}: session {} for {} closed: keyring {} {}", peer, s.id(), s.user(), s.keyringSerial(), outcome);
        Decision decision = !kill ? Decision.KEPT : invalidate ? Decision.INVALIDATED : Decision.REVOKED;
        return Reply.ok(Op.CLOSE, Fields.builder()
                .putU32(Field.DECISION, decision.code())
                .putI32(Field.KEYRING_SERIAL, s.keyringSerial())
                .build());
    }

    /** An admin already revoked this session's keyring: the close only ends the listing. */
    private Reply closeRevoked(PeerCredentials peer, Session s) {
        if (registry.remove(s.id()).isEmpty()) {
            return Reply.error(Op.CLOSE.code(), Status.NOT_FOUND, "session " + s.id() + " already closed");
        }
        audit.record(SessionAudit.close("already-revoked", peer, s).build());
        return Reply.ok(Op.CLOSE, Fields.builder()
                .putU32(Field.DECISION, Decision.REVOKED.code())
                .putI32(Field.KEYRING_SERIAL, s.keyringSerial())
                .build());
    }

    /** revoke = "when-unused": the {@link DeferredRevoker} finishes the job once nothing holds the keyring. */
    private Reply defer(PeerCredentials peer, Session s) {
        if (!registry.markClosing(s.id())) {
            return Reply.error(Op.CLOSE.code(), Status.NOT_FOUND, "session " + s.id() + " already closed");
        }
        audit.record(SessionAudit.close("deferred", peer, s).build());
        log.debug("{}: session {} for {} closed: revocation of keyring {} deferred until unused", peer, s.id(),
                s.user(), s.keyringSerial());
        return Reply.ok(Op.CLOSE, Fields.builder()
                .putU32(Field.DECISION, Decision.DEFERRED.code())
                .putI32(Field.KEYRING_SERIAL, s.keyringSerial())
                .build());
    }
}
