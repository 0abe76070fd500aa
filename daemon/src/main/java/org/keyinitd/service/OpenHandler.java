package org.keyinitd.service;

import org.keyinitd.audit.Outcome;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.keyinitd.audit.AuditLog;
import org.keyinitd.keyring.KeyringException;
import org.keyinitd.keyring.KeyringSpec;
import org.keyinitd.keyring.SessionKeyring;
import org.keyinitd.keyring.SessionKeyrings;
import org.keyinitd.linux.KernelException;
import org.keyinitd.linux.Passwd;
import org.keyinitd.linux.LoginIds;
import org.keyinitd.linux.PeerProcess;
import org.keyinitd.policy.LoginContext;
import org.keyinitd.policy.ModuleArguments;
import org.keyinitd.policy.Owner;
import org.keyinitd.policy.Policy;
import org.keyinitd.policy.PolicyDecision;
import org.keyinitd.policy.RevokeMode;
import org.keyinitd.protocol.CallerKeyring;
import org.keyinitd.protocol.Decision;
import org.keyinitd.protocol.Field;
import org.keyinitd.protocol.Fields;
import org.keyinitd.protocol.Op;
import org.keyinitd.protocol.OpenRequest;
import org.keyinitd.protocol.ProtocolException;
import org.keyinitd.protocol.Reply;
import org.keyinitd.protocol.Status;
import org.keyinitd.server.PeerCredentials;
import org.keyinitd.session.Session;
import org.keyinitd.session.SessionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OPEN: authorize, resolve the user, ask policy, make the keyring, register, record.
 *
 * <p>Nothing is made for a module that has stopped waiting: the request carries the module's
 * deadline, checked before the work and again before the reply (a keyring made too late is
 * revoked at once), and a reply that cannot be delivered undoes its session.
 */
final class OpenHandler {
    private static final Logger log = LoggerFactory.getLogger(OpenHandler.class);
    /** The reply must be on its way this long before the module's deadline, or the module may miss it. */
    static final long DEADLINE_MARGIN_NANOS = 10_000_000L;
    private static final Object[] SESSION_LIMIT_LOCKS = new Object[64];

    static {
        for (int i = 0; i < SESSION_LIMIT_LOCKS.length; i++) {
            SESSION_LIMIT_LOCKS[i] = new Object();
        }
    }

    private final UserDirectory users;
    private final SessionKeyrings keyrings;
    private final SessionRegistry registry;
    private final AuditLog audit;
    private final Liveness liveness;
    private final OrphanHandler orphans;
    private final SessionEnding ending;
    private final LongSupplier monotonicNanos;

    OpenHandler(UserDirectory users, SessionKeyrings keyrings, SessionRegistry registry, AuditLog audit,
                Liveness liveness, OrphanHandler orphans, SessionEnding ending, LongSupplier monotonicNanos) {
        this.ending = ending;
        this.monotonicNanos = monotonicNanos;
        this.users = users;
        this.keyrings = keyrings;
        this.registry = registry;
        this.audit = audit;
        this.liveness = liveness;
        this.orphans = orphans;
    }

    Reply open(PeerCredentials peer, OpenRequest req, Policy policy) throws ProtocolException {
        Optional<String> refusal = Authorizer.checkOpen(peer, req.uid());
        if (refusal.isPresent()) {
            return deny(peer, req, refusal.get(), null);
        }
        if (tooLate(req)) {
            return expired(peer, req);
        }
        Passwd pw = resolve(peer, req);
        // Only a keyring of the user's own can be kept: another uid's, or a dead one, counts as
        // none, so if-missing (and always) create and never skips (the module then puts the
        // process on the user's own user-session keyring).
        PolicyDecision decision = policy.decide(new LoginContext(req.service(), req.user(), req.uid(), req.tty(),
                req.rhost(), req.hasSessionKeyring(),
                new ModuleArguments(req.moduleFlags().force(), req.moduleFlags().revoke()), groups(pw)));
        return switch (decision.action()) {
            case KEEP_EXISTING -> notCreated(peer, req, decision, Decision.KEPT_EXISTING, Outcome.KEPT_EXISTING);
            case SKIP -> notCreated(peer, req, decision, Decision.SKIPPED, Outcome.SKIPPED);
            case CREATE -> create(peer, req, pw, decision);
        };
    }

    private Supplier<Set<String>> groups(Passwd pw) {
        return () -> {
            try {
                return users.groupsOf(pw);
            } catch (KernelException e) {
                // A group rule then does not match: fail towards the defaults, and say so.
                log.warn("cannot resolve groups of {}: {}; group rules will not match", pw.name(), e.getMessage());
                return Set.of();
            }
        };
    }

    /** The module gives up at its deadline; past it (less the margin), nobody waits for this answer. */
    private boolean tooLate(OpenRequest req) {
        return req.deadlineNanos().isPresent()
                && monotonicNanos.getAsLong() > req.deadlineNanos().getAsLong() - DEADLINE_MARGIN_NANOS;
    }

    private Reply expired(PeerCredentials peer, OpenRequest req) {
        String why = "the module's deadline had passed before the daemon could act";
        audit.record(SessionAudit.open(Outcome.EXPIRED, peer, req).with("reason", why).build());
        log.warn("{}: OPEN for {} not acted on: {}", peer, req.user(), why);
        return Reply.error(Op.OPEN.code(), Status.FAILED, why);
    }

    /** A reply the module never read: the session it announced is undone. */
    void undelivered(PeerCredentials peer, Reply reply, String why) {
        if (reply.status() != Status.OK
                || reply.fields().u32(Field.DECISION).filter(d -> d == Decision.CREATED.code()).isEmpty()) {
            return;
        }
        reply.fields().string(Field.SESSION_ID).flatMap(registry::get).ifPresent(s -> {
            liveness.unwatch(s.id());
            String reason = "the OPEN reply could not be delivered: " + why;
            ending.kill(s, Outcome.ABANDONED, (o, failure) -> SessionAudit.close(o, peer, s)
                    .with("reason", failure == null ? reason : reason + "; " + failure))
                    .ifPresent(o -> log.warn("{}: session {} for {}: {}: {}", peer, s.id(), s.user(), reason,
                            o.auditName()));
        });
    }

    private Reply deny(PeerCredentials peer, OpenRequest req, String why, String rule) {
        audit.record(SessionAudit.open(Outcome.DENIED, peer, req).with("rule", rule).with("reason", why).build());
        log.warn("{}: OPEN for {} denied: {}", peer, req.user(), why);
        return Reply.error(Op.OPEN.code(), Status.DENIED, why);
    }

    private Passwd resolve(PeerCredentials peer, OpenRequest req) throws ProtocolException {
        Optional<Passwd> pw;
        try {
            pw = users.byName(req.user());
        } catch (KernelException e) {
            audit.record(SessionAudit.open(Outcome.ERROR, peer, req).with("reason", e.getMessage()).build());
            throw new ProtocolException(Status.FAILED, "cannot look up user " + req.user() + ": " + e.getMessage());
        }
        if (pw.isEmpty()) {
            audit.record(SessionAudit.open(Outcome.ERROR, peer, req).with("reason", "unknown user").build());
            throw new ProtocolException(Status.FAILED, "unknown user " + req.user());
        }
        if (pw.get().uid() != req.uid()) {
            String why = "user " + req.user() + " has uid " + pw.get().uid() + ", request says " + req.uid();
            audit.record(SessionAudit.open(Outcome.ERROR, peer, req).with("reason", why).build());
            throw new ProtocolException(Status.BAD_REQUEST, why);
        }
        return pw.get();
    }

    private Reply notCreated(PeerCredentials peer, OpenRequest req, PolicyDecision decision, Decision what,
                             Outcome outcome) {
        audit.record(SessionAudit.open(outcome, peer, req).with("rule", decision.rule()).build());
        return Reply.ok(Op.OPEN, Fields.builder()
                .putU32(Field.DECISION, what.code())
                .put(Field.RULE, decision.rule())
                .build());
    }

    private Reply create(PeerCredentials peer, OpenRequest req, Passwd pw, PolicyDecision decision) {
        int max = decision.maxSessionsPerUser();
        if (max <= 0) {
            return createUnlimited(peer, req, pw, decision);
        }
        // Count and register under one lock per uid (striped), so that concurrent logins of one
        // user cannot all pass the count before any of them is registered.
        synchronized (SESSION_LIMIT_LOCKS[(int) Math.floorMod(req.uid(), (long) SESSION_LIMIT_LOCKS.length)]) {
            if (registry.openSessionsOf(req.uid()) >= max) {
                return deny(peer, req, "user " + req.user() + " already has " + max
                        + " open sessions (max_sessions_per_user in rule " + decision.rule() + ")", decision.rule());
            }
            return createUnlimited(peer, req, pw, decision);
        }
    }

    private Reply createUnlimited(PeerCredentials peer, OpenRequest req, Passwd pw, PolicyDecision decision) {
        // The module joins a root-owned keyring as its owner, with its own ids: only a root caller can.
        boolean rootOwned = decision.owner() == Owner.ROOT && peer.isRoot();
        KeyringSpec spec = new KeyringSpec(rootOwned, decision.permissions(), decision.linkUserKeyring(),
                decision.linkPersistentKeyring(), decision.maxLifetime().toSeconds());
        SessionKeyring keyring;
        try {
            keyring = keyrings.create(req.uid(), pw.gid(), spec);
        } catch (KeyringException e) {
            return createFailed(peer, req, decision, e);
        }
        if (tooLate(req)) {
            return abandon(peer, req, decision, keyring);
        }
        // The peer is waiting for this reply, so it is alive: pinned first (a pidfd), then its
        // start time (which names it) and audit ids are read once, for the session, its state
        // file, its audit line and its watch alike.
        long pin = liveness.pin(peer.pid());
        PeerProcess process = PeerProcess.of(peer.pid());
        long startTime = process.startTime().orElse(-1);
        Session session = new Session(registry.newId(), req.user(), req.uid(), req.service(), req.tty(), req.rhost(),
                req.ruser(), peer.pid(), startTime, keyring.name(), keyring.serial(), decision.revoke(),
                decision.closeAction(), decision.revokeOnExit(), decision.rule(), Instant.now(), Session.State.OPEN)
                .withLogin(process.startTime().isPresent() ? process.login() : LoginIds.UNKNOWN);
        try {
            registry.addAsIs(session);
        } catch (RuntimeException e) {
            liveness.unpin(pin);
            throw e;
        }
        // A login that arrived on another uid's keyring gets a fresh one whatever policy says: that is its own outcome.
        Outcome outcome = switch (req.callerKeyring()) {
            case FOREIGN -> Outcome.REPLACED_FOREIGN;
            case FRESH -> Outcome.TAKEN_OVER; // pam_keyinit's bare keyring, earlier in the stack
            default -> Outcome.CREATED;
        };
        audit.record(SessionAudit.open(outcome, peer, req, session.login()).with("session", session.id())
                .with("keyring", keyring.serial()).with("rule", decision.rule())
                .with("revoke", SessionAudit.revokeValue(decision.revoke()))
                .with("owner", rootOwned ? "root" : "user")
                .with("persistent_linked", decision.linkPersistentKeyring() ? true : null)
                .with("max_lifetime", decision.maxLifetime().isZero() ? null : decision.maxLifetime().toSeconds()).build());
        // Every session is in the audit log; the daemon log keeps to what needs an admin's eye.
        log.debug("{}: session {} for {} ({}): created keyring {} (rule {})", peer, session.id(), req.user(),
                req.service(), keyring.serial(), decision.rule());
        Fields.Builder reply = Fields.builder()
                .putU32(Field.DECISION, Decision.CREATED.code())
                .put(Field.SESSION_ID, session.id())
                .put(Field.KEYRING_NAME, keyring.name())
                .putI32(Field.KEYRING_SERIAL, keyring.serial())
                .put(Field.WILL_REVOKE, decision.revoke() == RevokeMode.ALWAYS)
                .put(Field.RULE, decision.rule());
        if (rootOwned) {
            reply.put(Field.JOIN_AS_CALLER, true);
        }
        if (!liveness.watchPinned(session, pin)) {
            orphans.processGone(session.id(), OrphanHandler.EXITED); // died before we could watch it
        }
        return Reply.ok(Op.OPEN, reply.build());
    }

    /** Made, but too late for the module to join: revoked at once, never registered. */
    private Reply abandon(PeerCredentials peer, OpenRequest req, PolicyDecision decision, SessionKeyring keyring) {
        String why = "the module's deadline passed while the keyring was made; revoked it";
        try {
            keyrings.kill(keyring.serial(), false);
        } catch (KeyringException e) {
            log.error("cannot revoke keyring {} made too late for {}: {}", keyring.serial(), req.user(), e.getMessage());
            why += " (failed: " + e.getMessage() + ")";
        }
        audit.record(SessionAudit.open(Outcome.ABANDONED, peer, req).with("keyring", keyring.serial())
                .with("rule", decision.rule()).with("reason", why).build());
        log.warn("{}: OPEN for {}: {}", peer, req.user(), why);
        return Reply.error(Op.OPEN.code(), Status.FAILED, why);
    }

    private Reply createFailed(PeerCredentials peer, OpenRequest req, PolicyDecision decision, KeyringException e) {
        if (e.errno() == KernelException.ENOSYS) {
            // No keyring support in this kernel: like pam_keyinit, the login goes on without one.
            return notCreated(peer, req, decision, Decision.UNSUPPORTED, Outcome.UNSUPPORTED);
        }
        audit.record(SessionAudit.open(Outcome.ERROR, peer, req).with("rule", decision.rule())
                .with("reason", e.getMessage()).with("errno", e.errno() == 0 ? null : e.errno()).build());
        log.error("{}: cannot create session keyring for {}: {}", peer, req.user(), e.getMessage());
        String message = "cannot create session keyring for " + req.user() + ": " + e.getMessage();
        return e.errno() != 0 ? Reply.error(Op.OPEN.code(), Status.FAILED, message, e.errno())
                : Reply.error(Op.OPEN.code(), Status.FAILED, message);
    }
}
