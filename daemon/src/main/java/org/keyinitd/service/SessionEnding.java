package org.keyinitd.service;

import org.keyinitd.audit.Outcome;
import java.util.Map;
import java.util.Optional;
import org.keyinitd.audit.AuditEvent;
import org.keyinitd.audit.AuditLog;
import org.keyinitd.keyring.KeyringException;
import org.keyinitd.keyring.SessionKeyrings;
import org.keyinitd.policy.CloseAction;
import org.keyinitd.session.Session;
import org.keyinitd.session.SessionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place a session ends. Close, orphan, deferred revocation, admin revoke, recovery and an
 * undelivered OPEN reply all come here: the session is claimed (taken out of the registry, so
 * two enders never both act), its keyring revoked, invalidated or let go, the session put back
 * if the kernel refused, and the end audited with its typed {@link Outcome}. The caller supplies
 * the audit line (its event and fields) for whichever outcome it turns out to be.
 */
public final class SessionEnding {
    /** The audit line of an end: the caller's event and fields for {@code outcome}; {@code failure} is the kernel's refusal (ERROR only), else null. */
    @FunctionalInterface
    public interface AuditLine {
        AuditEvent.Builder of(Outcome outcome, String failure);
    }

    private static final Logger log = LoggerFactory.getLogger(SessionEnding.class);

    private final SessionKeyrings keyrings;
    private final SessionRegistry registry;
    private final AuditLog audit;

    public SessionEnding(SessionKeyrings keyrings, SessionRegistry registry, AuditLog audit) {
        this.keyrings = keyrings;
        this.registry = registry;
        this.audit = audit;
    }

    /**
     * Revokes (or, with {@code close_action = "invalidate"}, invalidates) the keyring and ends the
     * session. {@code as} names the outcome when it is not plain revocation (ABORTED, ABANDONED);
     * null means REVOKED or INVALIDATED by the session's policy. Empty when another ender came
     * first; ERROR when the kernel refused (the session stays registered, to be tried again).
     */
    public Optional<Outcome> kill(Session s, Outcome as, AuditLine line) {
        if (registry.remove(s.id()).isEmpty()) {
            return Optional.empty();
        }
        boolean invalidate = s.closeAction() == CloseAction.INVALIDATE;
        SessionKeyrings.Ended ended = end(s, invalidate ? SessionKeyrings.End.INVALIDATE : SessionKeyrings.End.REVOKE);
        AuditLine held = withContents(line, ended.contents());
        if (ended.failure() != null) {
            registry.add(s); // still alive as far as we know: keep it visible, and retriable
            log.error("cannot {} keyring {} of session {} ({}): {}", invalidate ? "invalidate" : "revoke",
                    s.keyringSerial(), s.id(), s.user(), ended.failure().getMessage());
            audit.record(held.of(Outcome.ERROR, ended.failure().getMessage()).build());
            return Optional.of(Outcome.ERROR);
        }
        Outcome outcome = as != null ? as : invalidate ? Outcome.INVALIDATED : Outcome.REVOKED;
        audit.record(held.of(outcome, null).build());
        return Optional.of(outcome);
    }

    /**
     * Ends the session and lets its keyring live on (no revoke): the daemon only drops its own
     * hold. {@code as} is KEPT (a close) or RELEASED (an orphan). A failure to drop the hold is
     * logged; the session is over either way.
     */
    public Optional<Outcome> release(Session s, Outcome as, AuditLine line) {
        if (registry.remove(s.id()).isEmpty()) {
            return Optional.empty();
        }
        SessionKeyrings.Ended ended = end(s, SessionKeyrings.End.RELEASE);
        if (ended.failure() != null) {
            log.warn("cannot release keyring {} of session {}: {}", s.keyringSerial(), s.id(),
                    ended.failure().getMessage());
        }
        audit.record(withContents(line, ended.contents()).of(as, null).build());
        return Optional.of(as);
    }

    /** The keyring's contents read, and its end done, in one call to the keyrings. */
    private SessionKeyrings.Ended end(Session s, SessionKeyrings.End how) {
        try {
            return keyrings.end(s.keyringSerial(), how);
        } catch (KeyringException e) {
            log.debug("cannot end keyring {} of session {}: {}", s.keyringSerial(), s.id(), e.getMessage());
            return new SessionKeyrings.Ended(null, e);
        }
    }

    /**
     * The line with what the keyring held at its end: the number of keys in it and their types
     * ({@code keys}, {@code key_types}), never payloads. Read before the keyring dies.
     */
    private AuditLine withContents(Session s, AuditLine line) {
        Map<String, Integer> types;
        try {
            types = keyrings.contents(s.keyringSerial());
        } catch (KeyringException e) {
            log.debug("cannot list keyring {} of session {}: {}", s.keyringSerial(), s.id(), e.getMessage());
            return line;
        }
        return withContents(line, types);
    }

    /** As above, with contents already read (null: unreadable, the line says nothing of them). */
    private static AuditLine withContents(AuditLine line, Map<String, Integer> types) {
        if (types == null) {
            return line;
        }
        if (types.isEmpty()) {
            return (o, failure) -> line.of(o, failure).with("keys", 0);
        }
        int keys = types.values().stream().mapToInt(Integer::intValue).sum();
        return (o, failure) -> line.of(o, failure).with("keys", keys).with("key_types", types);
    }

    /** Ends a session whose keyring needs nothing more (already revoked or gone). */
    public Optional<Outcome> forget(Session s, Outcome as, AuditLine line) {
        if (registry.remove(s.id()).isEmpty()) {
            return Optional.empty();
        }
        audit.record(line.of(as, null).build());
        return Optional.of(as);
    }

    /**
     * A revoke the login did not ask for (an admin's, or {@code max_lifetime} reached): the keyring
     * dies now, but an open session stays listed (REVOKED) until its login closes it or its
     * process dies; a closing one is over. REVOKED or ERROR.
     */
    public Outcome revokeListed(Session s, AuditLine given) {
        AuditLine line = withContents(s, given);
        try {
            keyrings.kill(s.keyringSerial(), s.closeAction() == CloseAction.INVALIDATE);
        } catch (KeyringException e) {
            log.error("admin revoke of session {} failed: {}", s.id(), e.getMessage());
            audit.record(line.of(Outcome.ERROR, e.getMessage()).build());
            return Outcome.ERROR;
        }
        if (s.state() == Session.State.CLOSING || !registry.markRevoked(s.id())) {
            registry.remove(s.id());
        }
        audit.record(line.of(Outcome.REVOKED, null).build());
        return Outcome.REVOKED;
    }
}
