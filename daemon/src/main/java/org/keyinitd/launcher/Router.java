package org.keyinitd.launcher;

import org.keyinitd.admin.AdminHandler;
import org.keyinitd.metrics.Metrics;
import org.keyinitd.service.SessionService;
import org.keyinitd.protocol.Op;
import org.keyinitd.protocol.Reply;
import org.keyinitd.protocol.Request;
import org.keyinitd.protocol.Status;
import org.keyinitd.server.PeerCredentials;
import org.keyinitd.server.RequestHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Sends each request to the session or the admin side, and times it. */
public final class Router implements RequestHandler {
    private static final Logger log = LoggerFactory.getLogger(Router.class);

    private final SessionService sessions;
    private final AdminHandler admin;
    private final Metrics metrics;

    public Router(SessionService sessions, AdminHandler admin, Metrics metrics) {
        this.sessions = sessions;
        this.admin = admin;
        this.metrics = metrics;
    }

    @Override
    public Reply handle(PeerCredentials peer, Request request) {
        Op op = request.op();
        if (op == null) {
            log.warn("{}: unknown op {}", peer, request.opCode());
            return Reply.error(request.opCode(), Status.UNKNOWN_OP, "unknown op " + request.opCode());
        }
        long t0 = System.nanoTime();
        try {
            return op.isAdmin() ? admin.handle(peer, op, request.fields()) : sessions.handle(peer, request);
        } finally {
            metrics.observe(op, System.nanoTime() - t0);
        }
    }

    @Override
    public void undelivered(PeerCredentials peer, Request request, Reply reply, String why) {
        if (request.op() != null && !request.op().isAdmin()) {
            sessions.undelivered(peer, request, reply, why);
        }
    }
}
