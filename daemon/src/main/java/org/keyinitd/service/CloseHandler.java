package org.keyinitd.service;

import org.keyinitd.audit.Outcome;
import java.util.Optional;
import org.keyinitd.audit.AuditLog;
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

/** CLOSE: authorize, then end the session (revoke, or keep) or defer until the keyring is unused. */
final class CloseHandler {
    private static final Logger log = LoggerFactory.getLogger(CloseHandler.class);

    private final SessionRegistry registry;
    private final SessionEnding ending;
    private final AuditLog audit;
    private final Liveness liveness;

    CloseHandler(SessionRegistry registry, SessionEnding ending, AuditLog audit, Liveness liveness) {
        this.registry = registry;
        this.ending = ending;
        this.audit = audit;
        this.liveness = liveness;
    }

    Reply close(PeerCredentials peer, CloseRequest req) {
        Optional<Session> found = registry.get(req.sessionId()).filter(s -> s.state() != Session.State.CLOSING);
        if (found.isEmpty()) {
            audit.record(SessionAudit.closeNotFound(peer, req.sessionId()).build());
            return notFound("no open session " + req.sessionId());
        }
        Session s = found.get();
        Optional<String> refusal = Authorizer.checkClose(peer, s.uid());
        if (refusal.isPresent()) {
            audit.record(SessionAudit.close(Outcome.DENIED, peer, s).with("reason", refusal.get()).build());
            return Reply.error(Op.CLOSE.code(), Status.DENIED, refusal.get());
        }
        liveness.unwatch(s.id()); // a close, not a death
        req.joinedSerial().filter(j -> j != s.keyringSerial()).ifPresent(j ->
                log.warn("{}: CLOSE of {} says keyring {}, the daemon made {}", peer, s.id(), j, s.keyringSerial()));
        SessionEnding.AuditLine line = (o, failure) -> SessionAudit.close(o, peer, s).with("reason", failure);
        Optional<Outcome> ended;
        if (s.state() == Session.State.REVOKED) {
            ended = ending.forget(s, Outcome.ALREADY_REVOKED, line); // an admin revoked it: the close ends the listing
        } else if (!req.abort() && s.revoke() == RevokeMode.WHEN_UNUSED) {
            return defer(peer, s);
        } else if (req.abort() || s.revoke() == RevokeMode.ALWAYS) {
            ended = ending.kill(s, req.abort() ? Outcome.ABORTED : null, line);
        } else {
            ended = ending.release(s, Outcome.KEPT, line);
        }
        if (ended.isEmpty()) {
            return notFound("session " + s.id() + " already closed");
        }
        Outcome outcome = ended.get();
        if (outcome == Outcome.ERROR) {
            return Reply.error(Op.CLOSE.code(), Status.FAILED, "cannot close session " + s.id()
                    + ": the kernel refused to revoke keyring " + s.keyringSerial() + " (see the daemon log)");
        }
        log.debug("{}: session {} for {} closed: keyring {} {}", peer, s.id(), s.user(), s.keyringSerial(),
                outcome.auditName());
        return decided(outcome == Outcome.KEPT ? Decision.KEPT
                : outcome == Outcome.INVALIDATED ? Decision.INVALIDATED : Decision.REVOKED, s);
    }

    /** revoke = "when-unused": the {@link DeferredRevoker} finishes the job once nothing holds the keyring. */
    private Reply defer(PeerCredentials peer, Session s) {
        if (!registry.markClosing(s.id())) {
            return notFound("session " + s.id() + " already closed");
        }
        audit.record(SessionAudit.close(Outcome.DEFERRED, peer, s).build());
        log.debug("{}: session {} for {} closed: revocation of keyring {} deferred until unused", peer, s.id(),
                s.user(), s.keyringSerial());
        return decided(Decision.DEFERRED, s);
    }

    private static Reply decided(Decision decision, Session s) {
        return Reply.ok(Op.CLOSE, Fields.builder()
                .putU32(Field.DECISION, decision.code())
                .putI32(Field.KEYRING_SERIAL, s.keyringSerial())
                .build());
    }

    private static Reply notFound(String message) {
        return Reply.error(Op.CLOSE.code(), Status.NOT_FOUND, message);
    }
}
