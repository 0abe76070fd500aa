package org.keyinitd.session;

import java.time.Instant;
import java.util.Optional;
import org.keyinitd.policy.CloseAction;
import org.keyinitd.policy.RevokeMode;

/** One login whose keyring the daemon made, from OPEN until its keyring is dealt with. */
public record Session(
        String id,
        String user,
        long uid,
        String service,
        Optional<String> tty,
        Optional<String> rhost,
        Optional<String> ruser,
        int pid,
        String keyringName,
        int keyringSerial,
        RevokeMode revoke,
        CloseAction closeAction,
        String rule,
        Instant openedAt,
        State state) {

    /** OPEN: logged in. CLOSING: logged out, revocation deferred until nothing holds the keyring. */
    public enum State { OPEN, CLOSING }

    public Session withState(State newState) {
        return new Session(id, user, uid, service, tty, rhost, ruser, pid, keyringName, keyringSerial, revoke,
                closeAction, rule, openedAt, newState);
    }
}
