package org.keyinitd.service;

import java.time.Instant;
import java.util.Optional;
import org.keyinitd.audit.AuditEvent;
import org.keyinitd.audit.AuditLog;
import org.keyinitd.keyring.KeyringException;
import org.keyinitd.keyring.SessionKeyring;
import org.keyinitd.keyring.SessionKeyrings;
import org.keyinitd.linux.KernelException;
import org.keyinitd.linux.Passwd;
import org.keyinitd.policy.LoginContext;
import org.keyinitd.policy.Policy;
import org.keyinitd.policy.PolicyDecision;
import org.keyinitd.protocol.CloseRequest;
import org.keyinitd.protocol.Decision;
import org.keyinitd.protocol.Field;
import org.keyinitd.protocol.Fields;
import org.keyinitd.protocol.Op;
import org.keyinitd.protocol.OpenRequest;
import org.keyinitd.protocol.ProtocolException;
import org.keyinitd.protocol.Reply;
import org.keyinitd.protocol.Request;
import org.keyinitd.protocol.Status;
import org.keyinitd.server.PeerCredentials;
import org.keyinitd.server.RequestHandler;
import org.keyinitd.session.Session;
import org.keyinitd.session.SessionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's request handling: authorize the peer, ask policy, do the keyring work, keep the
 * registry and the audit trail. Every outcome, including failures, becomes a reply.
 */
public final class SessionService implements RequestHandler {
    public static final String EVENT_OPEN = "session.open";
    public static final String EVENT_CLOSE = "session.close";

    private static final Logger log = LoggerFactory.getLogger(SessionService.class);

    private final String version;
    private final UserDirectory users;
    private final SessionKeyrings keyrings;
    private final SessionRegistry registry;
    private final AuditLog audit;
    private volatile Policy policy;

    public SessionService(String version, UserDirectory users, SessionKeyrings keyrings, SessionRegistry registry,
                          AuditLog audit, Policy policy) {
        this.version = version;
        this.users = users;
        this.keyrings = keyrings;
        this.registry = registry;
        this.audit = audit;
        this.policy = policy;
    }

    @Override
    public Reply handle(PeerCredentials peer, Request request) {
        Op op = request.op();
        if (op == null) {
            log.warn("{}: unknown op {}", peer, request.opCode());
            return Reply.error(request.opCode(), Status.UNKNOWN_OP, "unknown op " + request.opCode());
        }
        try {
            return switch (op) {
                case PING -> Reply.ok(Op.PING, Fields.builder().put(Field.SERVER_VERSION, version).build());
                case OPEN -> open(peer, OpenRequest.from(request.fields()));
                case CLOSE -> close(peer, CloseRequest.from(request.fields()));
            };
        } catch (ProtocolException e) {
            log.warn("{}: rejected {} request: {}", peer, op, e.getMessage());
            return Reply.error(op.code(), e.status(), e.getMessage());
        } catch (RuntimeException e) {
            log.error("{}: internal error handling {}", peer, op, e);
            return Reply.error(op.code(), Status.FAILED, "internal error in keyinitd (see the daemon log)");
        }
    }

    private Reply open(PeerCredentials peer, OpenRequest req) throws ProtocolException {
        Optional<String> refusal = Authorizer.checkOpen(peer, req.uid());
        if (refusal.isPresent()) {
            audit.record(openEvent("denied", peer, req).with("reason", refusal.get()).build());
            log.warn("{}: OPEN for {} denied: {}", peer, req.user(), refusal.get());
            return Reply.error(Op.OPEN.code(), Status.DENIED, refusal.get());
        }
        Passwd pw = resolve(peer, req);
        PolicyDecision decision = policy.decide(new LoginContext(req.service(), req.user(), req.uid(), req.tty(),
                req.rhost(), req.hasSessionKeyring(), req.moduleFlags()));
        return switch (decision.action()) {
            case KEEP_EXISTING -> notCreated(peer, req, decision, Decision.KEPT_EXISTING, "kept-existing");
            case SKIP -> notCreated(peer, req, decision, Decision.SKIPPED, "skipped");
            case CREATE -> create(peer, req, pw, decision);
        };
    }

    private Passwd resolve(PeerCredentials peer, OpenRequest req) throws ProtocolException {
        Optional<Passwd> pw;
        try {
            pw = users.byName(req.user());
        } catch (KernelException e) {
            audit.record(openEvent("error", peer, req).with("reason", e.getMessage()).build());
            throw new ProtocolException(Status.FAILED, "cannot look up user " + req.user() + ": " + e.getMessage());
        }
        if (pw.isEmpty()) {
            audit.record(openEvent("error", peer, req).with("reason", "unknown user").build());
            throw new ProtocolException(Status.FAILED, "unknown user " + req.user());
        }
        if (pw.get().uid() != req.uid()) {
            String why = "user " + req.user() + " has uid " + pw.get().uid() + ", request says " + req.uid();
            audit.record(openEvent("error", peer, req).with("reason", why).build());
            throw new ProtocolException(Status.BAD_REQUEST, why);
        }
        return pw.get();
    }

    private Reply notCreated(PeerCredentials peer, OpenRequest req, PolicyDecision decision, Decision what,
                             String outcome) {
        audit.record(openEvent(outcome, peer, req).with("rule", decision.rule()).build());
        return Reply.ok(Op.OPEN, Fields.builder()
                .putU32(Field.DECISION, what.code())
                .put(Field.RULE, decision.rule())
                .build());
    }

    private Reply create(PeerCredentials peer, OpenRequest req, Passwd pw, PolicyDecision decision) {
        SessionKeyring keyring;
        try {
            keyring = keyrings.create(req.uid(), pw.gid());
        } catch (KeyringException e) {
            if (e.errno() == KernelException.ENOSYS) {
                // No keyring support in this kernel: like pam_keyinit, the login goes on without one.
                return notCreated(peer, req, decision, Decision.UNSUPPORTED, "unsupported");
            }
            audit.record(openEvent("error", peer, req).with("rule", decision.rule())
                    .with("reason", e.getMessage()).with("errno", e.errno() == 0 ? null : e.errno()).build());
            log.error("{}: cannot create session keyring for {}: {}", peer, req.user(), e.getMessage());
            String message = "cannot create session keyring for " + req.user() + ": " + e.getMessage();
            return e.errno() != 0 ? Reply.error(Op.OPEN.code(), Status.FAILED, message, e.errno())
                    : Reply.error(Op.OPEN.code(), Status.FAILED, message);
        }
        Session session = new Session(registry.newId(), req.user(), req.uid(), req.service(), req.tty(), req.rhost(),
                req.ruser(), peer.pid(), keyring.name(), keyring.serial(), decision.revokeOnClose(),
                decision.rule(), Instant.now());
        registry.add(session);
        audit.record(openEvent("created", peer, req).with("session", session.id())
                .with("keyring", keyring.serial()).with("rule", decision.rule())
                .with("revoke_on_close", decision.revokeOnClose()).build());
        log.info("{}: session {} for {} ({}): created keyring {}", peer, session.id(), req.user(), req.service(),
                keyring.serial());
        return Reply.ok(Op.OPEN, Fields.builder()
                .putU32(Field.DECISION, Decision.CREATED.code())
                .put(Field.SESSION_ID, session.id())
                .put(Field.KEYRING_NAME, keyring.name())
                .putI32(Field.KEYRING_SERIAL, keyring.serial())
                .put(Field.WILL_REVOKE, decision.revokeOnClose())
                .put(Field.RULE, decision.rule())
                .build());
    }

    private Reply close(PeerCredentials peer, CloseRequest req) {
        Optional<Session> found = registry.get(req.sessionId());
        if (found.isEmpty()) {
            audit.record(AuditEvent.of(EVENT_CLOSE, "not-found").with("session", req.sessionId())
                    .with("pid", peer.pid()).with("peer_uid", peer.uid()).build());
            return Reply.error(Op.CLOSE.code(), Status.NOT_FOUND, "no such session " + req.sessionId());
        }
        Session s = found.get();
        Optional<String> refusal = Authorizer.checkClose(peer, s.uid());
        if (refusal.isPresent()) {
            audit.record(closeEvent("denied", peer, s).with("reason", refusal.get()).build());
            return Reply.error(Op.CLOSE.code(), Status.DENIED, refusal.get());
        }
        if (registry.remove(s.id()).isEmpty()) {
            return Reply.error(Op.CLOSE.code(), Status.NOT_FOUND, "session " + s.id() + " already closed");
        }
        req.joinedSerial().filter(j -> j != s.keyringSerial()).ifPresent(j ->
                log.warn("{}: CLOSE of {} says keyring {}, the daemon made {}", peer, s.id(), j, s.keyringSerial()));
        boolean revoke = req.abort() || s.revokeOnClose();
        try {
            if (revoke) {
                keyrings.revoke(s.keyringSerial());
            } else {
                keyrings.release(s.keyringSerial());
            }
        } catch (KeyringException e) {
            registry.add(s); // still alive as far as we know: keep it visible
            audit.record(closeEvent("error", peer, s).with("reason", e.getMessage()).build());
            log.error("{}: cannot close session {}: {}", peer, s.id(), e.getMessage());
            return Reply.error(Op.CLOSE.code(), Status.FAILED, "cannot close session " + s.id() + ": " + e.getMessage());
        }
        String outcome = req.abort() ? "aborted" : revoke ? "revoked" : "kept";
        audit.record(closeEvent(outcome, peer, s).build());
        log.info("{}: session {} for {} closed: keyring {} {}", peer, s.id(), s.user(), s.keyringSerial(), outcome);
        return Reply.ok(Op.CLOSE, Fields.builder()
                .putU32(Field.DECISION, (revoke ? Decision.REVOKED : Decision.KEPT).code())
                .putI32(Field.KEYRING_SERIAL, s.keyringSerial())
                .build());
    }

    private static AuditEvent.Builder openEvent(String outcome, PeerCredentials peer, OpenRequest req) {
        return AuditEvent.of(EVENT_OPEN, outcome)
                .with("user", req.user()).with("uid", req.uid()).with("service", req.service())
                .with("tty", req.tty()).with("rhost", req.rhost()).with("ruser", req.ruser())
                .with("pid", peer.pid()).with("peer_uid", peer.uid());
    }

    private static AuditEvent.Builder closeEvent(String outcome, PeerCredentials peer, Session s) {
        return AuditEvent.of(EVENT_CLOSE, outcome)
                .with("session", s.id()).with("user", s.user()).with("uid", s.uid()).with("service", s.service())
                .with("tty", s.tty()).with("rhost", s.rhost()).with("ruser", s.ruser())
                .with("pid", peer.pid()).with("peer_uid", peer.uid()).with("keyring", s.keyringSerial())
                .with("rule", s.rule());
    }
}
