package org.keyinitd.policy;

/**
 * The resolved outcome for one login: every action with a value, and the rule that decided
 * (the first rule that matched, or "defaults").
 */
public record PolicyDecision(
        Action action,
        RevokeMode revoke,
        CloseAction closeAction,
        boolean linkUserKeyring,
        boolean linkPersistentKeyring,
        Owner owner,
        int permissions,
        int maxSessionsPerUser,
        boolean revokeOnExit,
        String rule) {

    /** The outcome at open. */
    public enum Action { CREATE, KEEP_EXISTING, SKIP }
}
