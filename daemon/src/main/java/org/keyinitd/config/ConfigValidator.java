package org.keyinitd.config;

import com.fasterxml.jackson.core.JacksonException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Function;
import org.keyinitd.policy.Actions;
import org.keyinitd.policy.CloseAction;
import org.keyinitd.policy.CreateMode;
import org.keyinitd.policy.Glob;
import org.keyinitd.policy.HostPattern;
import org.keyinitd.policy.KeyPermissions;
import org.keyinitd.policy.Match;
import org.keyinitd.policy.Owner;
import org.keyinitd.policy.Policy;
import org.keyinitd.policy.RevokeMode;
import org.keyinitd.policy.Rule;
import org.keyinitd.policy.UidRange;

/** Semantic checks on a bound file, each failure naming the key and its line. */
final class ConfigValidator {
    private final Path file;
    private final TomlLines lines;

    ConfigValidator(Path file, TomlLines lines) {
        this.file = file;
        this.lines = lines;
    }

    Config validate(ConfigFile raw) throws ConfigException {
        Path socket = path("socket", raw.socket(), Config.DEFAULT_SOCKET);
        Path stateDir = path("state_dir", raw.stateDir(), Config.DEFAULT_STATE_DIR);
        Path auditLog = path("audit_log", raw.auditLog(), Config.DEFAULT_AUDIT_LOG);
        Actions defaults = raw.defaults() == null ? Actions.NONE : actions("defaults", raw.defaults());
        List<Rule> rules = rules(raw.rule() == null ? List.of() : raw.rule());
        return new Config(file, socket, stateDir, auditLog, new Policy(rules, defaults), limits(raw.limits()),
                audit(auditLog, raw.audit()), metrics(raw.metrics()));
    }

    // ---- rules -------------------------------------------------------------------------------

    private List<Rule> rules(List<Map<String, Object>> raw) throws ConfigException {
        List<Rule> rules = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < raw.size(); i++) {
            String at = "rule[" + (i + 1) + "]";
            Map<String, Object> entry = new LinkedHashMap<>(raw.get(i));
            Object nameValue = entry.remove("name");
            if (nameValue != null && !(nameValue instanceof String)) {
                throw error(at + ".name", "expected a string");
            }
            String name = nameValue == null ? at : (String) nameValue;
            if (name.isBlank()) {
                throw error(at + ".name", "must not be empty");
            }
            if (!names.add(name)) {
                throw error(at + ".name", "'" + name + "' is already the name of an earlier rule");
            }
            Object matchValue = entry.remove("match");
            Match match = matchValue == null ? Match.ANY
                    : match(at + ".match", bind(at + ".match", matchValue, ConfigFile.MatchSection.class));
            Actions actions = actions(at, bind(at, entry, ConfigFile.ActionsSection.class));
            rules.add(new Rule(name, match, actions));
        }
        return rules;
    }

    private <T> T bind(String at, Object value, Class<T> type) throws ConfigException {
        if (!(value instanceof Map)) {
            throw error(at, "expected a table");
        }
        try {
            return ConfigLoader.MAPPER.convertValue(value, type);
        } catch (IllegalArgumentException e) {
            if (e.getCause() instanceof JacksonException je) {
                throw ConfigLoader.translate(file, lines, at, je);
            }
            throw error(at, ConfigLoader.firstLine(e.getMessage()));
        }
    }

    private Match match(String at, ConfigFile.MatchSection m) throws ConfigException {
        return new Match(
                list(at + ".user", m.user(), Glob::compile),
                list(at + ".group", m.group(), s -> s),
                list(at + ".uid", m.uid(), UidRange::parse),
                list(at + ".service", m.service(), Glob::compile),
                list(at + ".tty", m.tty(), Glob::compile),
                list(at + ".rhost", m.rhost(), HostPattern::parse),
                Optional.ofNullable(m.hasSessionKeyring()));
    }

    /** A string, a number (uid) or a non-empty list of them, each parsed; errors name the entry. */
    private <T> Optional<List<T>> list(String at, Object value, Function<String, T> parse) throws ConfigException {
        if (value == null) {
            return Optional.empty();
        }
        List<?> items = value instanceof List<?> l ? l : List.of(value);
        if (items.isEmpty()) {
            throw error(at, "an empty list matches nothing; remove the key to match everything");
        }
        List<T> out = new ArrayList<>();
        for (Object item : items) {
            if (!(item instanceof String) && !(item instanceof Number)) {
                throw error(at, "expected a string or a list of strings, got " + item);
            }
            try {
                out.add(parse.apply(item.toString()));
            } catch (IllegalArgumentException e) {
                throw error(at, e.getMessage());
            }
        }
        return Optional.of(List.copyOf(out));
    }

    // ---- actions -----------------------------------------------------------------------------

    private Actions actions(String at, ConfigFile.ActionsSection a) throws ConfigException {
        Integer max = a.maxSessionsPerUser();
        if (max != null && max < 0) {
            throw error(at + ".max_sessions_per_user", "must be 0 (no limit) or more, got " + max);
        }
        return new Actions(
                convert(at + ".create", a.create(), CreateMode::fromConfig),
                convert(at + ".revoke", a.revoke(), RevokeMode::fromConfig),
                convert(at + ".close_action", a.closeAction(), CloseAction::fromConfig),
                Optional.ofNullable(a.linkUserKeyring()),
                Optional.ofNullable(a.linkPersistentKeyring()),
                convert(at + ".owner", a.owner(), Owner::fromConfig),
                a.permissions() == null ? OptionalInt.empty()
                        : OptionalInt.of(convert(at + ".permissions", a.permissions(), KeyPermissions::parse).get()),
                max == null ? OptionalInt.empty() : OptionalInt.of(max),
                Optional.ofNullable(a.revokeOnExit()));
    }

    private <S, T> Optional<T> convert(String at, S value, Function<S, T> parse) throws ConfigException {
        if (value == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(parse.apply(value));
        } catch (IllegalArgumentException e) {
            throw error(at, e.getMessage());
        }
    }

    // ---- limits and paths --------------------------------------------------------------------

    private Limits limits(ConfigFile.LimitsSection s) throws ConfigException {
        Limits d = Limits.DEFAULT;
        if (s == null) {
            return d;
        }
        return new Limits(
                range("max_frame", s.maxFrame(), d.maxFrame(), 256, 65535),
                range("max_connections", s.maxConnections(), d.maxConnections(), 1, 100_000),
                range("max_connections_per_uid", s.maxConnectionsPerUid(), d.maxConnectionsPerUid(), 1, 100_000),
                range("idle_timeout_ms", s.idleTimeoutMs(), d.idleTimeoutMillis(), 100, 3_600_000),
                range("request_timeout_ms", s.requestTimeoutMs(), d.requestTimeoutMillis(), 100, 600_000));
    }

    private AuditSettings audit(Path file, ConfigFile.AuditSection s) throws ConfigException {
        AuditSettings d = AuditSettings.defaults(file);
        if (s == null) {
            return d;
        }
        return new AuditSettings(file,
                range("audit", "max_size_mb", s.maxSizeMb(), (int) (d.maxSizeBytes() >> 20), 1, 100_000) * 1024L * 1024L,
                range("audit", "max_files", s.maxFiles(), d.maxFiles(), 1, 1000),
                s.syslog() != null && s.syslog(),
                range("audit", "queue_size", s.queueSize(), d.queueSize(), 0, 10_000_000),
                range("audit", "queue_timeout_ms", s.queueTimeoutMs(), d.queueTimeoutMillis(), 0, 10_000));
    }

    private MetricsSettings metrics(ConfigFile.MetricsSection s) throws ConfigException {
        if (s == null) {
            return MetricsSettings.OFF;
        }
        java.util.Optional<Path> textfile = s.textfile() == null || s.textfile().isEmpty()
                ? java.util.Optional.empty() : java.util.Optional.of(path("metrics.textfile", s.textfile(), null));
        return new MetricsSettings(textfile,
                range("metrics", "interval_ms", s.intervalMs(), MetricsSettings.OFF.intervalMillis(), 1000, 3_600_000));
    }

    private int range(String key, Integer value, int dflt, int min, int max) throws ConfigException {
        return range("limits", key, value, dflt, min, max);
    }

    private int range(String table, String key, Integer value, int dflt, int min, int max) throws ConfigException {
        if (value == null) {
            return dflt;
        }
        if (value < min || value > max) {
            throw error(table + "." + key, "must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }

    private Path path(String key, String value, Path dflt) throws ConfigException {
        if (value == null) {
            return dflt;
        }
        if (value.isEmpty() || !value.startsWith("/")) {
            throw error(key, "must be an absolute path, got '" + value + "'");
        }
        return Path.of(value).normalize();
    }

    private ConfigException error(String field, String reason) {
        return new ConfigException(file.toString(), lines.lineOf(field), field, reason);
    }
}
