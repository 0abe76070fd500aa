package org.keyinitd.policy;

/**
 * Who owns (and is charged quota for) the session keyring. {@link #ROOT} keeps a busy account
 * from hitting its 200-key quota with keyrings of closed sessions; keys the user adds are still
 * the user's. Root ownership needs a root caller (the module joins as the owner).
 */
public enum Owner {
    USER("user"),
    ROOT("root");

    private final String configName;

    Owner(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }

    public static Owner fromConfig(String value) {
        for (Owner o : values()) {
            if (o.configName.equals(value)) {
                return o;
            }
        }
        throw new IllegalArgumentException("'" + value + "' is not one of user, root");
    }
}
