package org.keyinitd.keyring;

import java.util.Collection;
import java.util.Map;

/** The keyring operations a session needs; {@link KeyringService} is the kernel-backed one. */
public interface SessionKeyrings {
    SessionKeyring create(long uid, long gid, KeyringSpec spec) throws KeyringException;

    /** Revokes (or invalidates) the keyring and drops the daemon's hold on it. Gone already counts as done. */
    void kill(int serial, boolean invalidate) throws KeyringException;

    /** Drops the daemon's hold on the keyring without harming it. */
    void release(int serial) throws KeyringException;

    /**
     * The kernel's usage counts of these keyrings (one of each is the daemon's own link). A
     * keyring that is gone, revoked or invalidated is missing from the result.
     */
    Map<Integer, Integer> usages(Collection<Integer> serials) throws KeyringException;

    /**
     * What the keyring holds right now: the number of keys linked directly in it, per key type
     * ({@code user}, {@code keyring}, ...), never their payloads. Empty when it cannot be read
     * (revoked, expired, gone).
     */
    Map<String, Integer> contents(int serial) throws KeyringException;

    /** How a session's keyring ends. */
    enum End { REVOKE, INVALIDATE, RELEASE }

    /**
     * What the keyring held just before its end ({@code contents}: null when it could not be read)
     * and, if the kernel refused the end itself, why ({@code failure}, else null).
     */
    record Ended(Map<String, Integer> contents, KeyringException failure) {
    }

    /**
     * Reads the keyring's contents, then revokes, invalidates or releases it: what a session's end
     * needs, in one go ({@link KeyringService}: one task on the worker thread, one hand-off
     * instead of two). A failure of the end is in the result; one of the whole call is thrown.
     */
    default Ended end(int serial, End how) throws KeyringException {
        Map<String, Integer> contents;
        try {
            contents = contents(serial);
        } catch (KeyringException e) {
            contents = null;
        }
        try {
            if (how == End.RELEASE) {
                release(serial);
            } else {
                kill(serial, how == End.INVALIDATE);
            }
        } catch (KeyringException e) {
            return new Ended(contents, e);
        }
        return new Ended(contents, null);
    }

    /** The keyring as it is now: state, expiry, references, and its keys by type and description. */
    KeyringView inspect(int serial) throws KeyringException;

    /** The keyrings among {@code serials} whose {@code max_lifetime} has run out: revoke them now. */
    java.util.Set<Integer> pastLifetime(Collection<Integer> serials) throws KeyringException;
}
