package org.keyinitd.service;

import org.keyinitd.audit.Outcome;
import java.util.List;
import java.util.Set;
import org.keyinitd.keyring.KeyringException;
import org.keyinitd.keyring.SessionKeyrings;
import org.keyinitd.session.Session;
import org.keyinitd.session.SessionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends keyrings that reached their {@code max_lifetime}: once a second it asks the kernel which
 * session keyrings have run out of lifetime and revokes them (revoking clears a keyring, so its
 * keys die; the kernel's own expiry, a little later, is only the backstop, see
 * {@link org.keyinitd.keyring.KeyringService#pastLifetime}). The
 * session stays listed, REVOKED, until its login closes it (the close then finds it, as after an
 * admin revoke). The kernel's expiry alone still holds while the daemon is down; a restarted
 * daemon revokes what expired meanwhile at its first pass. Audited as {@code session.revoke}
 * {@code expired}.
 */
public final class LifetimeReaper implements AutoCloseable {
    public static final long INTERVAL_MILLIS = 1000;

    private static final Logger log = LoggerFactory.getLogger(LifetimeReaper.class);

    private final SessionKeyrings keyrings;
    private final SessionRegistry registry;
    private final SessionEnding ending;
    private final Sweeper sweeper = new Sweeper("lifetime-reaper");

    public LifetimeReaper(SessionKeyrings keyrings, SessionRegistry registry, SessionEnding ending) {
        this.keyrings = keyrings;
        this.registry = registry;
        this.ending = ending;
    }

    public void start() {
        sweeper.every(INTERVAL_MILLIS, this::sweep);
    }

    void sweep() {
        List<Session> open = registry.inState(Session.State.OPEN);
        if (open.isEmpty()) {
            return;
        }
        Set<Integer> expired;
        try {
            expired = keyrings.pastLifetime(open.stream().map(Session::keyringSerial).toList());
        } catch (KeyringException e) {
            log.warn("cannot read keyring expiry: {}", e.getMessage());
            return;
        }
        for (Session s : open) {
            if (expired.contains(s.keyringSerial())) {
                Outcome o = ending.revokeListed(s, (outcome, failure) -> SessionAudit.session(SessionAudit.REVOKE,
                        outcome == Outcome.REVOKED ? Outcome.EXPIRED : outcome, s)
                        .with("reason", failure == null ? "max_lifetime reached" : "max_lifetime reached; " + failure));
                log.info("session {} for {}: keyring {} reached its max_lifetime: {}", s.id(), s.user(),
                        s.keyringSerial(), o == Outcome.REVOKED ? "revoked" : "revoke failed, retrying");
            }
        }
    }

    @Override
    public void close() {
        sweeper.close();
    }
}
