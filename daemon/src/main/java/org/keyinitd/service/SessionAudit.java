package org.keyinitd.service;

import org.keyinitd.audit.Outcome;
import java.util.Optional;
import org.keyinitd.audit.AuditEvent;
import org.keyinitd.linux.LoginIds;
import org.keyinitd.policy.RevokeMode;
import org.keyinitd.protocol.OpenRequest;
import org.keyinitd.server.PeerCredentials;
import org.keyinitd.session.Session;

/**
 * The audit events of a session's life, with the fields docs/audit.md and docs/audit.schema.json
 * promise. Names, the same in every event: {@code pid}, {@code auid}, {@code ses} are the
 * session's login process and its kernel audit ids; {@code peer_pid}, {@code peer_uid} the
 * process that sent the request (absent when no request caused the line).
 *
 * <p>A refusal an unprivileged peer brought on itself is noise ({@link AuditEvent}): its
 * peer-supplied strings are cut to {@link #NOISE_FIELD_MAX} characters ({@code truncated}: true).
 */
public final class SessionAudit {
    public static final String OPEN = "session.open";
    public static final String CLOSE = "session.close";
    public static final String REVOKE = "session.revoke";
    public static final String ORPHAN = "session.orphan";
    public static final String RECOVER = "session.recover";
    public static final String ADMIN_REVOKE = "admin.revoke";
    public static final String FALLBACK = "session.fallback";

    /** Longest peer-supplied string in a noise line. */
    public static final int NOISE_FIELD_MAX = 64;

    private SessionAudit() {
    }

    static AuditEvent.Builder open(Outcome outcome, PeerCredentials peer, OpenRequest req) {
        return open(outcome, peer, req, LoginIds.of(peer.pid()));
    }

    /** As above, with the peer's login ids already read. */
    static AuditEvent.Builder open(Outcome outcome, PeerCredentials peer, OpenRequest req, LoginIds ids) {
        boolean noise = isNoise(outcome, peer);
        Clip clip = new Clip(noise);
        AuditEvent.Builder b = AuditEvent.of(OPEN, outcome.auditName()).noise(noise)
                .with("user", clip.of(req.user())).with("uid", req.uid()).with("service", clip.of(req.service()))
                .with("tty", clip.of(req.tty())).with("rhost", clip.of(req.rhost()))
                .with("ruser", clip.of(req.ruser()))
                .with("caller_keyring", req.callerKeyring().auditName())
                .with("pid", peer.pid()).with("auid", ids.auid()).with("ses", ids.ses())
                .with("peer_pid", peer.pid()).with("peer_uid", peer.uid())
                .with("truncated", clip.any ? true : null)
                .normalize("revoke", SessionAudit::revokeValue);
        return b;
    }

    static AuditEvent.Builder close(Outcome outcome, PeerCredentials peer, Session s) {
        return session(CLOSE, outcome, s).noise(isNoise(outcome, peer))
                .with("peer_pid", peer.pid()).with("peer_uid", peer.uid());
    }

    /** A CLOSE naming no known session: the closing process's own audit ids. */
    static AuditEvent.Builder closeNotFound(PeerCredentials peer, String sessionId) {
        LoginIds ids = LoginIds.of(peer.pid());
        return AuditEvent.of(CLOSE, Outcome.NOT_FOUND.auditName()).noise(!peer.isRoot()).with("session", sessionId)
                .with("pid", peer.pid()).with("auid", ids.auid()).with("ses", ids.ses())
                .with("peer_pid", peer.pid()).with("peer_uid", peer.uid());
    }

    /** An event about a session, with the session's fields (a deferred revocation, an orphan, an admin revoke). */
    public static AuditEvent.Builder session(String event, Outcome outcome, Session s) {
        return AuditEvent.of(event, outcome.auditName())
                .with("session", s.id()).with("user", s.user()).with("uid", s.uid()).with("service", s.service())
                .with("tty", s.tty()).with("rhost", s.rhost()).with("ruser", s.ruser())
                .with("keyring", s.keyringSerial()).with("rule", s.rule())
                .with("pid", s.pid()).with("auid", s.login().auid()).with("ses", s.login().ses())
                .with("fallback", s.state() == Session.State.FALLBACK ? true : null);
    }

    /**
     * The audit value of a revoke mode: {@code "always"}, {@code "never"} or {@code "when-unused"}
     * (a string naming the mode, never a boolean-looking "true"). Accepts the mode itself or its
     * configuration name.
     */
    public static Object revokeValue(Object mode) {
        RevokeMode m = mode instanceof RevokeMode r ? r : null;
        String name = m != null ? m.configName() : String.valueOf(mode);
        return switch (name) {
            case "true" -> "always";
            case "false" -> "never";
            default -> name;
        };
    }

    private static boolean isNoise(Outcome outcome, PeerCredentials peer) {
        return !peer.isRoot() && outcome.isRefusal();
    }

    /** Cuts peer-supplied strings in noise lines; remembers whether it cut any. */
    private static final class Clip {
        private final boolean active;
        private boolean any;

        Clip(boolean active) {
            this.active = active;
        }

        Object of(Object v) {
            Object value = v instanceof Optional<?> o ? o.orElse(null) : v;
            if (active && value instanceof String s && s.length() > NOISE_FIELD_MAX) {
                any = true;
                return s.substring(0, NOISE_FIELD_MAX);
            }
            return value;
        }
    }
}
