package org.keyinitd.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * The file's shape as Jackson binds it: every value optional (null when absent), unknown keys
 * rejected. {@link ConfigLoader} turns it into a validated {@link Config}. Rules are bound as
 * maps first because a rule mixes its name, its {@code match} table and action keys.
 */
record ConfigFile(
        @JsonProperty("socket") String socket,
        @JsonProperty("state_dir") String stateDir,
        @JsonProperty("audit_log") String auditLog,
        @JsonProperty("defaults") ActionsSection defaults,
        @JsonProperty("limits") LimitsSection limits,
        @JsonProperty("audit") AuditSection audit,
        @JsonProperty("metrics") MetricsSection metrics,
        @JsonProperty("rule") List<Map<String, Object>> rule) {

    record AuditSection(
            @JsonProperty("max_size_mb") Integer maxSizeMb,
            @JsonProperty("max_files") Integer maxFiles,
            @JsonProperty("syslog") Boolean syslog,
            @JsonProperty("queue_size") Integer queueSize,
            @JsonProperty("queue_timeout_ms") Integer queueTimeoutMs) {
    }

    record MetricsSection(
            @JsonProperty("textfile") String textfile,
            @JsonProperty("interval_ms") Integer intervalMs) {
    }

    /** The action keys, shared by {@code [defaults]} and each {@code [[rule]]}. */
    record ActionsSection(
            @JsonProperty("create") String create,
            @JsonProperty("revoke") Object revoke,
            @JsonProperty("close_action") String closeAction,
            @JsonProperty("link_user_keyring") Boolean linkUserKeyring,
            @JsonProperty("link_persistent_keyring") Boolean linkPersistentKeyring,
            @JsonProperty("owner") String owner,
            @JsonProperty("permissions") String permissions,
            @JsonProperty("max_sessions_per_user") Integer maxSessionsPerUser,
            @JsonProperty("revoke_on_exit") Boolean revokeOnExit) {
    }

    /** A rule's conditions; each value a string or a list of strings (uid also numbers). */
    record MatchSection(
            @JsonProperty("user") Object user,
            @JsonProperty("group") Object group,
            @JsonProperty("uid") Object uid,
            @JsonProperty("service") Object service,
            @JsonProperty("tty") Object tty,
            @JsonProperty("rhost") Object rhost,
            @JsonProperty("has_session_keyring") Boolean hasSessionKeyring) {
    }

    record LimitsSection(
            @JsonProperty("max_frame") Integer maxFrame,
            @JsonProperty("max_connections") Integer maxConnections,
            @JsonProperty("max_connections_per_uid") Integer maxConnectionsPerUid,
            @JsonProperty("idle_timeout_ms") Integer idleTimeoutMs,
            @JsonProperty("request_timeout_ms") Integer requestTimeoutMs) {
    }
}
