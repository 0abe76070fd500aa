package org.keyinitd.service;

import org.keyinitd.audit.AuditEvent;
import org.keyinitd.protocol.OpenRequest;
import org.keyinitd.server.PeerCredentials;
import org.keyinitd.session.Session;

/** The audit events of a session's life, with the fields docs/audit.md promises. */
final class SessionAudit {
    static final String OPEN = "session.open";
    static final String CLOSE = "session.close";
    static final String REVOKE = "session.revoke";

    private SessionAudit() {
    }

    static AuditEvent.Builder open(String outcome, PeerCredentials peer, OpenRequest req) {
        return AuditEvent.of(OPEN, outcome)
                .with("user", req.user()).with("uid", req.uid()).with("service", req.service())
                .with("tty", req.tty()).with("rhost", req.rhost()).with("ruser", req.ruser())
                .with("caller_keyring", req.callerKeyring().auditName())
                .with("pid", peer.pid()).with("peer_uid", peer.uid());
    }

    static AuditEvent.Builder close(String outcome, PeerCredentials peer, Session s) {
        return session(CLOSE, outcome, s).with("pid", peer.pid()).with("peer_uid", peer.uid());
    }

    /** An event about a session that no request caused (a deferred revocation). */
    static AuditEvent.Builder session(String event, String outcome, Session s) {
        return AuditEvent.of(event, outcome)
                .with("session", s.id()).with("user", s.user()).with("uid", s.uid()).with("service", s.service())
                .with("tty", s.tty()).with("rhost", s.rhost()).with("ruser", s.ruser())
                .with("keyring", s.keyringSerial()).with("rule", s.rule());
    }
}
