package org.keyinitd.policy;

/**
 * How a keyring is killed at close. Both make every key in it unusable at once; invalidate also
 * lets the kernel's garbage collector reclaim it (and give the owner back its quota) right away,
 * where a revoked key waits out kernel.keys.gc_delay (docs/policy.md has the measurement).
 */
public enum CloseAction {
    REVOKE("revoke"),
    INVALIDATE("invalidate");

    private final String configName;

    CloseAction(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }

    public static CloseAction fromConfig(String value) {
        for (CloseAction a : values()) {
            if (a.configName.equals(value)) {
                return a;
            }
        }
        throw new IllegalArgumentException("'" + value + "' is not one of revoke, invalidate");
    }
}
