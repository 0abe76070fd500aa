package org.keyinitd.service;

import java.util.function.LongSupplier;
import org.keyinitd.audit.AuditLog;
import org.keyinitd.keyring.SessionKeyrings;
import org.keyinitd.policy.Policy;
import org.keyinitd.protocol.CloseRequest;
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
import org.keyinitd.session.SessionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's request handling: dispatches each request to its handler and turns every
 * outcome, failures included, into a reply. Holds the current policy, which a reload replaces
 * for the logins that come after it.
 */
public final class SessionService implements RequestHandler {
    private static final Logger log = LoggerFactory.getLogger(SessionService.class);

    private final String version;
    private final OpenHandler opens;
    private final CloseHandler closes;
    private volatile Policy policy;

    public SessionService(String version, UserDirectory users, SessionKeyrings keyrings, SessionRegistry registry,
                          AuditLog audit, Policy policy, Liveness liveness, OrphanHandler orphans,
                          SessionEnding ending, LongSupplier monotonicNanos) {
        this.version = version;
        this.opens = new OpenHandler(users, keyrings, registry, audit, liveness, orphans, ending, monotonicNanos);
        this.closes = new CloseHandler(registry, ending, audit, liveness);
        this.policy = policy;
    }

    public void setPolicy(Policy policy) {
        this.policy = policy;
    }

    @Override
    public void undelivered(PeerCredentials peer, Request request, Reply reply, String why) {
        if (request.op() == Op.OPEN) {
            try {
                opens.undelivered(peer, reply, why);
            } catch (RuntimeException e) {
                log.error("{}: internal error undoing an undelivered OPEN", peer, e);
            }
        }
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
                case OPEN -> opens.open(peer, OpenRequest.from(request.fields()), policy);
                case CLOSE -> closes.close(peer, CloseRequest.from(request.fields()));
                default -> Reply.error(op.code(), Status.UNKNOWN_OP, op + " is not a session op");
            };
        } catch (ProtocolException e) {
            log.warn("{}: rejected {} request: {}", peer, op, e.getMessage());
            return Reply.error(op.code(), e.status(), e.getMessage());
        } catch (RuntimeException e) {
            log.error("{}: internal error handling {}", peer, op, e);
            return Reply.error(op.code(), Status.FAILED, "internal error in keyinitd (see the daemon log)");
        }
    }
}
