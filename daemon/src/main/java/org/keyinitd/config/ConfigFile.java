package org.keyinitd.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.keyinitd.policy.CreateMode;

/**
 * The file's shape as Jackson binds it: every value optional (null when absent), unknown keys
 * rejected. {@link ConfigLoader} turns it into a validated {@link Config}.
 */
record ConfigFile(
        @JsonProperty("socket") String socket,
        @JsonProperty("state_dir") String stateDir,
        @JsonProperty("audit_log") String auditLog,
        @JsonProperty("defaults") DefaultsSection defaults,
        @JsonProperty("limits") LimitsSection limits) {

    record DefaultsSection(
            @JsonProperty("create") CreateMode create,
            @JsonProperty("revoke") Boolean revoke) {
    }

    record LimitsSection(
            @JsonProperty("max_frame") Integer maxFrame,
            @JsonProperty("max_connections") Integer maxConnections,
            @JsonProperty("idle_timeout_ms") Integer idleTimeoutMs,
            @JsonProperty("request_timeout_ms") Integer requestTimeoutMs) {
    }
}
