package org.keyinitd.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.keyinitd.audit.AuditEvent;
import com.fasterxml.jackson.databind.JsonNode;
import org.keyinitd.audit.AuditLog;
import org.keyinitd.keyring.KeyringException;
import org.keyinitd.keyring.KeyringView;
import org.keyinitd.keyring.SessionKeyrings;
import org.keyinitd.linux.LoginIds;
import org.keyinitd.audit.Outcome;
import org.keyinitd.service.SessionAudit;
import org.keyinitd.service.SessionEnding;
import org.keyinitd.metrics.Latency;
import org.keyinitd.metrics.Metrics;
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

/**
 * The admin ops behind keyinitctl: STATUS, SESSIONS, REVOKE, RELOAD. Root peers only; anyone
 * else is refused and audited. Replies carry JSON (docs/admin.md).
 */
public final class AdminHandler {
    private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DaemonInfo info;
    private final SessionRegistry registry;
    private final SessionKeyrings keyrings;
    private final SessionEnding ending;
    private final AuditLog audit;
    private final Metrics metrics;
    private final Reloader reloader;

    public AdminHandler(DaemonInfo info, SessionRegistry registry, SessionKeyrings keyrings, SessionEnding ending,
                        AuditLog audit, Metrics metrics, Reloader reloader) {
        this.info = info;
        this.registry = registry;
        this.keyrings = keyrings;
        this.ending = ending;
        this.audit = audit;
        this.metrics = metrics;
        this.reloader = reloader;
    }

    public Reply handle(PeerCredentials peer, Op op, Fields fields) {
        if (!peer.isRoot()) {
            LoginIds ids = LoginIds.of(peer.pid());
            audit.record(AuditEvent.of("admin.denied", "denied").noise(true).with("op", op.name())
                    .with("peer_pid", peer.pid()).with("peer_uid", peer.uid())
                    .with("peer_auid", ids.auid()).with("peer_ses", ids.ses()).build());
            log.warn("{}: admin op {} denied: not root", peer, op);
            return Reply.error(op.code(), Status.DENIED, "permission denied: keyinitctl needs root");
        }
        try {
            return switch (op) {
                case STATUS -> data(op, status());
                case SESSIONS -> data(op, sessions(fields.string(Field.USER)));
                case REVOKE -> revoke(peer, fields);
                case RELOAD -> reload(peer);
                case SHOW -> show(fields);
                default -> Reply.error(op.code(), Status.UNKNOWN_OP, op + " is not an admin op");
            };
        } catch (JsonProcessingException e) {
            log.error("cannot encode {} reply", op, e);
            return Reply.error(op.code(), Status.FAILED, "internal error encoding the reply (see the daemon log)");
        }
    }

    private Map<String, Object> status() {
        Map<String, Object> s = new LinkedHashMap<>();
        Instant now = Instant.now();
        s.put("version", info.version());
        s.put("pid", info.pid());
        s.put("started_at", info.startedAt().toString());
        s.put("uptime_seconds", Duration.between(info.startedAt(), now).toSeconds());
        s.put("config", info.configFile().toString());
        s.put("config_loaded_at", info.configLoadedAt().toString());
        Map<String, Long> sessions = new LinkedHashMap<>();
        for (Session.State st : Session.State.values()) {
            sessions.put(st.name().toLowerCase(Locale.ROOT), (long) registry.inState(st).size());
        }
        s.put("sessions", sessions);
        Map<String, Long> counters = new LinkedHashMap<>();
        counters.put("opens", count(SessionAudit.OPEN, Outcome::isAnsweredOpen));
        counters.put("closes", count(SessionAudit.CLOSE, Outcome::isCompletedClose));
        counters.put("denials", metrics.count(null, Outcome.DENIED.auditName()));
        counters.put("errors", metrics.count(null, Outcome.ERROR.auditName()));
        counters.put("orphans_revoked", count(SessionAudit.ORPHAN, o -> o == Outcome.REVOKED || o == Outcome.INVALIDATED));
        counters.put("admin_revokes", metrics.count(SessionAudit.ADMIN_REVOKE, Outcome.REVOKED.auditName()));
        counters.put("audit_dropped", info.auditDropped());
        s.put("counters", counters);
        Map<String, Object> latency = new LinkedHashMap<>();
        for (Op op : new Op[] {Op.OPEN, Op.CLOSE}) {
            Latency l = metrics.latency(op);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("count", l.count());
            m.put("p50_us", l.p50() / 1000);
            m.put("p90_us", l.p90() / 1000);
            m.put("p99_us", l.p99() / 1000);
            m.put("max_us", l.max() / 1000);
            latency.put(op.name().toLowerCase(Locale.ROOT), m);
        }
        s.put("latency", latency);
        return s;
    }

    /**
     * SHOW: one session in full, for an admin: its listing, the rule that decided, the keyring
     * as the kernel has it now (state, permissions, expiry, references, and its keys by type and
     * description, never payloads) and the session's audit lines.
     */
    private Reply show(Fields fields) throws JsonProcessingException {
        Optional<String> id = fields.string(Field.SESSION_ID);
        if (id.isEmpty()) {
            return Reply.error(Op.SHOW.code(), Status.BAD_REQUEST, "SHOW needs a SESSION_ID");
        }
        Optional<Session> found = registry.get(id.get());
        if (found.isEmpty()) {
            return Reply.error(Op.SHOW.code(), Status.NOT_FOUND, "no session " + id.get()
                    + " (closed sessions are in the audit log)");
        }
        Session s = found.get();
        Map<String, Object> doc = describe(s, Instant.now());
        doc.put("login_pid", s.pid());
        doc.put("auid", s.login().auid());
        doc.put("ses", s.login().ses());
        doc.put("revoke", SessionAudit.revokeValue(s.revoke()));
        doc.put("close_action", s.closeAction().configName());
        doc.put("revoke_on_exit", s.revokeOnExit());
        try {
            KeyringView k = keyrings.inspect(s.keyringSerial());
            Map<String, Object> ring = new LinkedHashMap<>();
            ring.put("serial", k.serial());
            ring.put("state", k.state());
            String[] d = k.description().split(";", 5);
            if (d.length == 5) {
                ring.put("name", d[4]);
                ring.put("uid", Long.parseLong(d[1]));
                ring.put("gid", Long.parseLong(d[2]));
                ring.put("permissions", "0x" + d[3]);
            }
            ring.put("expiry", k.timeout().isEmpty() ? null : k.timeout());
            // the daemon's registry link is one of the references; the rest are the session's holders
            ring.put("holders", Math.max(0, k.usage() - 1));
            ring.put("keys", k.keys());
            doc.put("keyring", ring);
        } catch (KeyringException e) {
            doc.put("keyring", Map.of("serial", s.keyringSerial(), "error", e.getMessage()));
        }
        doc.put("audit", auditLinesOf(s.id()));
        return data(Op.SHOW, doc);
    }

    /** The session's audit lines, oldest first, from the last rotation and the current file. */
    private List<JsonNode> auditLinesOf(String sessionId) {
        String needle = "\"session\":\"" + sessionId + "\"";
        List<JsonNode> out = new ArrayList<>();
        java.nio.file.Path current = info.auditLog();
        for (java.nio.file.Path f : List.of(current.resolveSibling(current.getFileName() + ".1"), current)) {
            if (!java.nio.file.Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            try (var lines = java.nio.file.Files.lines(f, java.nio.charset.StandardCharsets.UTF_8)) {
                for (String line : (Iterable<String>) lines.filter(l -> l.contains(needle))::iterator) {
                    out.add(JSON.readTree(line));
                }
            } catch (java.io.IOException | java.io.UncheckedIOException e) {
                log.warn("cannot read audit log {} for SHOW: {}", f, e.getMessage());
            }
        }
        return out;
    }

    /** The count of one event's lines over the outcomes {@code which} selects. */
    private long count(String event, Predicate<Outcome> which) {
        long n = 0;
        for (Outcome o : Outcome.values()) {
            if (which.test(o)) {
                n += metrics.count(event, o.auditName());
            }
        }
        return n;
    }

    private List<Map<String, Object>> sessions(Optional<String> user) {
        Instant now = Instant.now();
        List<Map<String, Object>> out = new ArrayList<>();
        registry.all().stream()
                .filter(s -> user.map(u -> u.equals(s.user())).orElse(true))
                .sorted(Comparator.comparing(Session::openedAt))
                .forEach(s -> out.add(describe(s, now)));
        return out;
    }

    static Map<String, Object> describe(Session s, Instant now) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("session", s.id());
        m.put("user", s.user());
        m.put("uid", s.uid());
        m.put("service", s.service());
        m.put("tty", s.tty().orElse(null));
        m.put("rhost", s.rhost().orElse(null));
        m.put("pid", s.pid());
        m.put("keyring", s.keyringSerial());
        m.put("rule", s.rule());
        m.put("state", s.state().name().toLowerCase(Locale.ROOT));
        m.put("opened_at", s.openedAt().toString());
        m.put("age_seconds", Duration.between(s.openedAt(), now).toSeconds());
        return m;
    }

    private Reply revoke(PeerCredentials peer, Fields f) throws JsonProcessingException {
        Optional<String> id = f.string(Field.SESSION_ID);
        Optional<String> user = f.string(Field.USER);
        boolean all = f.bool(Field.ALL).orElse(false);
        if ((id.isPresent() ? 1 : 0) + (user.isPresent() ? 1 : 0) + (all ? 1 : 0) != 1) {
            return Reply.error(Op.REVOKE.code(), Status.BAD_REQUEST, "give exactly one of SESSION_ID, USER, ALL");
        }
        Predicate<Session> which = id.<Predicate<Session>>map(i -> s -> s.id().equals(i))
                .or(() -> user.map(u -> s -> s.user().equals(u))).orElse(s -> true);
        String reason = f.string(Field.REASON).orElse("");
        List<String> revoked = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        for (Session s : registry.all()) {
            if (!which.test(s) || s.state() == Session.State.REVOKED) {
                continue;
            }
            if (s.state() == Session.State.FALLBACK) {
                refuseFallback(peer, s, reason);
                failed.add(s.id());
                continue;
            }
            if (revokeOne(peer, s, reason)) {
                revoked.add(s.id());
            } else {
                failed.add(s.id());
            }
        }
        if (id.isPresent() && revoked.isEmpty() && failed.isEmpty()) {
            return Reply.error(Op.REVOKE.code(), Status.NOT_FOUND, "no session " + id.get());
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("revoked", revoked);
        result.put("failed", failed);
        return data(Op.REVOKE, result);
    }

    /**
     * A fallback session's keyring was made in the login's own process while the daemon was
     * unreachable: the daemon never held it, and revoking needs possession. Said, audited, left.
     */
    private void refuseFallback(PeerCredentials peer, Session s, String reason) {
        String why = "a fallback keyring, made in-process while the daemon was unreachable, is not the daemon's "
                + "to revoke; end the login (pid " + s.pid() + ") instead";
        LoginIds admin = LoginIds.of(peer.pid());
        audit.record(SessionAudit.session(SessionAudit.ADMIN_REVOKE, Outcome.ERROR, s)
                .with("reason", reason.isEmpty() ? why : reason + " (" + why + ")")
                .with("peer_pid", peer.pid()).with("peer_uid", peer.uid())
                .with("peer_auid", admin.auid()).with("peer_ses", admin.ses()).build());
        log.warn("{}: cannot revoke session {} of {}: {}", peer, s.id(), s.user(), why);
    }

    private boolean revokeOne(PeerCredentials peer, Session s, String reason) {
        LoginIds admin = LoginIds.of(peer.pid());
        Outcome outcome = ending.revokeListed(s, (o, failure) -> SessionAudit.session(SessionAudit.ADMIN_REVOKE, o, s)
                .with("reason", failure == null ? reason : reason + " (" + failure + ")")
                .with("peer_pid", peer.pid()).with("peer_uid", peer.uid())
                .with("peer_auid", admin.auid()).with("peer_ses", admin.ses()));
        if (outcome == Outcome.REVOKED) {
            log.info("{}: admin revoked session {} of {} (keyring {}): {}", peer, s.id(), s.user(), s.keyringSerial(),
                    reason.isEmpty() ? "no reason given" : reason);
        }
        return outcome == Outcome.REVOKED;
    }

    private Reply reload(PeerCredentials peer) {
        log.info("{}: reload requested", peer);
        Reloader.Result result = reloader.reload();
        if (result.rejected().isPresent()) {
            return Reply.error(Op.RELOAD.code(), Status.FAILED, "configuration rejected, running configuration kept: "
                    + result.rejected().get());
        }
        StringBuilder message = new StringBuilder("configuration reloaded");
        for (String warning : result.warnings()) {
            message.append("\nwarning: ").append(warning);
        }
        return Reply.ok(Op.RELOAD, Fields.builder().put(Field.MESSAGE, message.toString()).build());
    }

    private static Reply data(Op op, Object document) throws JsonProcessingException {
        return Reply.ok(op, Fields.builder().put(Field.DATA, JSON.writeValueAsString(document)).build());
    }
}
