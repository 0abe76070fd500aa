package org.keyinitd.policy;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** When a login gets a new session keyring (pam_keyinit's `force` is {@link #ALWAYS}). */
public enum CreateMode {
    ALWAYS("always"),
    IF_MISSING("if-missing"),
    NEVER("never");

    private final String configName;

    CreateMode(String configName) {
        this.configName = configName;
    }

    @JsonValue
    public String configName() {
        return configName;
    }

    @JsonCreator
    public static CreateMode fromConfig(String value) {
        for (CreateMode m : values()) {
            if (m.configName.equals(value)) {
                return m;
            }
        }
        throw new IllegalArgumentException("'" + value + "' is not one of always, if-missing, never");
    }
}
