package org.keyinitd.session;

import java.time.Instant;
import java.util.Optional;
import org.keyinitd.linux.LoginIds;
import org.keyinitd.policy.CloseAction;
import org.keyinitd.policy.RevokeMode;

/**
 * One login whose keyring the daemon made, from OPEN until its keyring is dealt with.
 * {@code pid} and {@code pidStartTime} name the process that sent OPEN (the session's process),
 * so a restarted daemon can tell it from a later process that reuses the pid. {@code login} is
 * that process's audit login uid and session id, read while it waited for its OPEN reply.
 */
public record Session(
        String id,
        String user,
        long uid,
        String service,
        Optional<String> tty,
        Optional<String> rhost,
        Optional<String> ruser,
        int pid,
        long pidStartTime,
        String keyringName,
        int keyringSerial,
        RevokeMode revoke,
        CloseAction closeAction,
        boolean revokeOnExit,
        String rule,
        Instant openedAt,
        State state,
        LoginIds login) {

    /** A session whose login's audit ids are not known yet ({@link SessionRegistry#add} fills them in). */
    public Session(String id, String user, long uid, String service, Optional<String> tty, Optional<String> rhost,
                   Optional<String> ruser, int pid, long pidStartTime, String keyringName, int keyringSerial,
                   RevokeMode revoke, CloseAction closeAction, boolean revokeOnExit, String rule, Instant openedAt,
                   State state) {
        this(id, user, uid, service, tty, rhost, ruser, pid, pidStartTime, keyringName, keyringSerial, revoke,
                closeAction, revokeOnExit, rule, openedAt, state, LoginIds.UNKNOWN);
    }

    /**
     * OPEN: logged in. CLOSING: logged out, revocation deferred until nothing holds the keyring.
     * REVOKED: an admin revoked the keyring; listed until the session closes or its process dies.
     * FALLBACK: a login the module served in-process while the daemon could not be reached
     * (its fallback record, read when the daemon was back); the daemon does not hold its
     * keyring, so it only lists and audits it, until its process dies.
     */
    public enum State { OPEN, CLOSING, REVOKED, FALLBACK }

    public Session withState(State newState) {
        return new Session(id, user, uid, service, tty, rhost, ruser, pid, pidStartTime, keyringName, keyringSerial,
                revoke, closeAction, revokeOnExit, rule, openedAt, newState, login);
    }

    /** The same session with its login's audit uid and session id (docs/audit.md, {@code auid}, {@code ses}). */
    public Session withLogin(LoginIds ids) {
        return new Session(id, user, uid, service, tty, rhost, ruser, pid, pidStartTime, keyringName, keyringSerial,
                revoke, closeAction, revokeOnExit, rule, openedAt, state, ids);
    }
}
