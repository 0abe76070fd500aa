package org.keyinitd.policy;

import java.util.Optional;

/**
 * The {@code [defaults]} section. An unset value leaves the choice to the module's own
 * arguments (`force`, `revoke`), so a stock config behaves exactly like pam_keyinit.
 */
public record Defaults(Optional<CreateMode> create, Optional<Boolean> revoke) {
    public static final Defaults FOLLOW_MODULE = new Defaults(Optional.empty(), Optional.empty());
}
