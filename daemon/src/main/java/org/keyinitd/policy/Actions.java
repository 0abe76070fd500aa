package org.keyinitd.policy;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What a rule (or {@code [defaults]}) says to do. Every value is optional: an unset one falls
 * through to the next source (docs/policy.md, "Precedence").
 */
public record Actions(
        Optional<CreateMode> create,
        Optional<RevokeMode> revoke,
        Optional<CloseAction> closeAction,
        Optional<Boolean> linkUserKeyring,
        Optional<Boolean> linkPersistentKeyring,
        Optional<Owner> owner,
        OptionalInt permissions,
        OptionalInt maxSessionsPerUser,
        Optional<Boolean> revokeOnExit,
        Optional<Duration> maxLifetime) {

    public static final Actions NONE = new Actions(Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty(), Optional.empty(), OptionalInt.empty(), OptionalInt.empty(),
            Optional.empty(), Optional.empty());
}
