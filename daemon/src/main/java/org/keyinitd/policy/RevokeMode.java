package org.keyinitd.policy;

/** What happens to the keyring at close: {@code revoke = true | false | "when-unused"}. */
public enum RevokeMode {
    /** Revoke (or invalidate, per close_action) at close. */
    ALWAYS("true"),
    /** Leave it to the processes that still hold it. */
    NEVER("false"),
    /** Revoke once no process holds it any more (a tmux or screen started in the session). */
    WHEN_UNUSED("when-unused");

    private final String configName;

    RevokeMode(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }

    public static RevokeMode of(boolean revoke) {
        return revoke ? ALWAYS : NEVER;
    }

    /** From its {@link #configName()}. */
    public static RevokeMode fromConfigName(String name) {
        for (RevokeMode m : values()) {
            if (m.configName.equals(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException("'" + name + "' is not one of true, false, when-unused");
    }

    /** From TOML: a boolean or the string "when-unused". */
    public static RevokeMode fromConfig(Object value) {
        if (value instanceof Boolean b) {
            return of(b);
        }
        if ("when-unused".equals(value)) {
            return WHEN_UNUSED;
        }
        throw new IllegalArgumentException("'" + value + "' is not one of true, false, \"when-unused\"");
    }
}
