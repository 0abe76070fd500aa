package org.keyinitd.policy;

import java.time.Duration;

/**
 * The resolved outcome for one login: every action with a value, and the rule that decided
 * (the first rule that matched, or "defaults"). {@code maxLifetime} is {@link Lifetime#NONE} for no limit.
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
        Duration maxLifetime,
        String rule) {

    /** The outcome at open. */
    public enum Action { CREATE, KEEP_EXISTING, SKIP }
}
