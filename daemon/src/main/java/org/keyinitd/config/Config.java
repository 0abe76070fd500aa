package org.keyinitd.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
        MetricsSettings metrics,
        Sources sources) {

    public static final Path DEFAULT_FILE = Path.of("/etc/keyinitd/keyinitd.toml");
    public static final Path DEFAULT_SOCKET = Path.of("/run/keyinitd/keyinitd.sock");
    /** tmpfs, like logind's /run/systemd/sessions: sessions (and keyrings) never outlive a reboot. */
    public static final Path DEFAULT_STATE_DIR = Path.of("/run/keyinitd/state");
    public static final Path DEFAULT_AUDIT_LOG = Path.of("/var/log/keyinitd/audit.log");

    /**
     * Where each value came from: the files read (the main file, then the drop-ins in the order
     * they were merged), for each key set in some file the file and line of the value that won
     * ({@code defaults.create}, {@code limits.max_frame}, ...), and the line of each rule.
     */
    public record Sources(List<Path> files, Map<String, Origin> keys, List<Origin> rules) {
        public Optional<Origin> of(String key) {
            return Optional.ofNullable(keys.get(key));
        }
    }
}
