package org.keyinitd.config;

import java.nio.file.Path;
import org.keyinitd.policy.Policy;

/** The daemon's validated configuration (docs/configuration.md has every key). */
public record Config(
        Path file,
        Path socket,
        Path stateDir,
        Path auditLog,
        Policy policy,
        Limits limits,
        AuditSettings audit,
        MetricsSettings metrics) {

    public static final Path DEFAULT_FILE = Path.of("/etc/keyinitd/keyinitd.toml");
    public static final Path DEFAULT_SOCKET = Path.of("/run/keyinitd/keyinitd.sock");
    /** tmpfs, like logind's /run/systemd/sessions: sessions (and keyrings) never outlive a reboot. */
    public static final Path DEFAULT_STATE_DIR = Path.of("/run/keyinitd/state");
    public static final Path DEFAULT_AUDIT_LOG = Path.of("/var/log/keyinitd/audit.log");
}
