package org.keyinitd.service;

import org.keyinitd.audit.Outcome;
import java.util.List;
import java.util.Map;
import org.keyinitd.keyring.KeyringException;
import org.keyinitd.keyring.SessionKeyrings;
import org.keyinitd.session.Session;
import org.keyinitd.session.SessionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finishes {@code revoke = "when-unused"}: every {@link #INTERVAL_MILLIS} it reads the usage
 * counts of the closing sessions' keyrings and revokes each one whose only remaining reference is
 * the daemon's own registry link.
 *
 * <p>Process credentials are freed lazily (after an RCU grace period), so a count can still
 * include a process that has just exited. That can only make a count too high, never too low:
 * the effect is that revocation follows the last holder's exit by up to one interval plus that
 * lag, never that a keyring in use is revoked.
 */
public final class DeferredRevoker implements AutoCloseable {
    public static final long INTERVAL_MILLIS = 500;
    /** The registry's link to the keyring: the one reference that is the daemon's own. */
    static final int DAEMON_REFERENCES = 1;

    private static final Logger log = LoggerFactory.getLogger(DeferredRevoker.class);

    private final SessionKeyrings keyrings;
    private final SessionRegistry registry;
    private final SessionEnding ending;
    private final Sweeper sweeper = new Sweeper("deferred-revoker");

    public DeferredRevoker(SessionKeyrings keyrings, SessionRegistry registry, SessionEnding ending) {
        this.keyrings = keyrings;
        this.registry = registry;
        this.ending = ending;
    }

    public void start() {
        sweeper.every(INTERVAL_MILLIS, this::sweep);
    }

    /** One pass over the closing sessions. */
    void sweep() {
        List<Session> closing = registry.inState(Session.State.CLOSING);
        if (closing.isEmpty()) {
            return;
        }
        Map<Integer, Integer> usage;
        try {
            usage = keyrings.usages(closing.stream().map(Session::keyringSerial).toList());
        } catch (KeyringException e) {
            log.warn("cannot read keyring usage: {}", e.getMessage());
            return;
        }
        for (Session s : closing) {
            Integer count = usage.get(s.keyringSerial());
            if (count == null) {
                finish(s, Outcome.GONE, "the keyring was already revoked or gone");
            } else if (count <= DAEMON_REFERENCES) {
                kill(s);
            }
        }
    }

    private void kill(Session s) {
        // On a kernel refusal the session stays CLOSING and is tried again next interval.
        ending.kill(s, null, line(s, "last holder gone"));
    }

    private void finish(Session s, Outcome outcome, String reason) {
        ending.forget(s, outcome, line(s, reason)).ifPresent(o -> log.info("session {} for {}: keyring {} {} ({})",
                s.id(), s.user(), s.keyringSerial(), o.auditName(), reason));
    }

    private static SessionEnding.AuditLine line(Session s, String reason) {
        return (o, failure) -> SessionAudit.session(SessionAudit.REVOKE, o, s)
                .with("reason", failure == null ? reason : reason + "; " + failure);
    }

    @Override
    public void close() {
        sweeper.close();
    }
}
