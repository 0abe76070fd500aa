package org.keyinitd.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Function;
import org.keyinitd.policy.Actions;
import org.keyinitd.policy.CloseAction;
import org.keyinitd.policy.CreateMode;
import org.keyinitd.policy.Glob;
import org.keyinitd.policy.HostPattern;
import org.keyinitd.policy.KeyPermissions;
import org.keyinitd.policy.Lifetime;
import org.keyinitd.policy.Match;
import org.keyinitd.policy.Owner;
import org.keyinitd.policy.Policy;
import org.keyinitd.policy.RevokeMode;
import org.keyinitd.policy.Rule;
import org.keyinitd.policy.UidRange;

/**
 * Turns parsed TOML files (the main file, then its drop-ins) into a {@link Config}. Every value
 * is checked against the type the key takes, with no coercion: {@code "5"} is not an integer
 * and {@code 5.5} is not 5. Each mistake names the file, the line and the key.
 *
 * <p>Merging ({@link #add} once per file, in order): a scalar key set in several files takes
 * the value of the last; rules are appended in file order.
 */
final class ConfigValidator {
    static final List<String> TOP = List.of("socket", "state_dir", "audit_log", "defaults", "rule", "limits",
            "audit", "metrics");
    static final List<String> ACTIONS = List.of("create", "revoke", "close_action", "link_user_keyring",
            "link_persistent_keyring", "owner", "permissions", "max_sessions_per_user", "revoke_on_exit", "max_lifetime");
    static final List<String> RULE = concat(List.of("name", "match"), ACTIONS);
    static final List<String> MATCH = List.of("user", "group", "uid", "service", "tty", "rhost",
            "has_session_keyring");
    static final List<String> LIMITS = List.of("max_frame", "max_connections", "max_connections_per_uid",
            "idle_timeout_ms", "request_timeout_ms");
    static final List<String> AUDIT = List.of("max_size_mb", "max_files", "syslog", "queue_size", "queue_timeout_ms");
    static final List<String> METRICS = List.of("textfile", "interval_ms");
    private static final Map<String, List<String>> TABLES = Map.of("defaults", ACTIONS, "limits", LIMITS,
            "audit", AUDIT, "metrics", METRICS);

    /** One parsed file. */
    record Layer(Path file, TomlLines lines, ObjectNode root) {
        Origin at(String path) {
            return new Origin(file, lines.lineOf(path));
        }
    }

    /** A value as written, with its key ({@code limits.max_frame}) and where. */
    record Value(JsonNode node, String field, Origin origin) {
    }

    private record RuleSource(Layer layer, String at, ObjectNode node) {
    }

    private final Path mainFile;
    private final List<Path> files = new ArrayList<>();
    private final Map<String, Value> scalars = new LinkedHashMap<>();
    private final List<RuleSource> rules = new ArrayList<>();

    ConfigValidator(Path mainFile) {
        this.mainFile = mainFile;
    }

    // ---- structure: known keys, tables, arrays of tables --------------------------------------

    /** Adds one file: its keys override earlier files' ones, its rules come after theirs. */
    void add(Layer layer) throws ConfigException {
        files.add(layer.file());
        for (Iterator<Map.Entry<String, JsonNode>> it = layer.root().fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            JsonNode node = e.getValue();
            if (key.equals("rule")) {
                addRules(layer, node);
            } else if (TABLES.containsKey(key)) {
                if (!node.isObject()) {
                    throw error(layer.at(key), key, "expected a table ([" + key + "]), got " + describe(node));
                }
                List<String> known = TABLES.get(key);
                for (Iterator<Map.Entry<String, JsonNode>> kit = node.fields(); kit.hasNext(); ) {
                    Map.Entry<String, JsonNode> k = kit.next();
                    String field = key + "." + k.getKey();
                    checkKnown(layer, field, k.getKey(), known);
                    scalars.put(field, new Value(k.getValue(), field, layer.at(field)));
                }
            } else {
                checkKnown(layer, key, key, TOP);
                scalars.put(key, new Value(node, key, layer.at(key)));
            }
        }
    }

    private void addRules(Layer layer, JsonNode node) throws ConfigException {
        if (node.isObject()) {
            throw error(layer.at("rule"), "rule",
                    "[rule] is a single table; each rule is written [[rule]] (an array of tables)");
        }
        if (!node.isArray()) {
            throw error(layer.at("rule"), "rule", "expected [[rule]] tables, got " + describe(node));
        }
        for (int i = 0; i < node.size(); i++) {
            String at = "rule[" + (i + 1) + "]";
            JsonNode r = node.get(i);
            if (!r.isObject()) {
                throw error(layer.at(at), at, "expected a table, got " + describe(r));
            }
            rules.add(new RuleSource(layer, at, (ObjectNode) r));
        }
    }

    private void checkKnown(Layer layer, String field, String key, List<String> known) throws ConfigException {
        if (!known.contains(key)) {
            throw error(layer.at(field), field, unknownKey(key, known));
        }
    }

    static String unknownKey(String key, List<String> known) {
        return "unknown key '" + key + "'" + Suggest.closest(key, known).map(s -> "; did you mean '" + s + "'?")
                .orElse("; known keys here: " + String.join(", ", known));
    }

    // ---- values ------------------------------------------------------------------------------

    Config build() throws ConfigException {
        Path socket = path(scalars.get("socket"), Config.DEFAULT_SOCKET);
        Path stateDir = path(scalars.get("state_dir"), Config.DEFAULT_STATE_DIR);
        Path auditLog = path(scalars.get("audit_log"), Config.DEFAULT_AUDIT_LOG);
        Map<String, Value> defaults = new HashMap<>();
        for (String a : ACTIONS) {
            Value v = scalars.get("defaults." + a);
            if (v != null) {
                defaults.put(a, v);
            }
        }
        Actions defaultActions = actions(defaults);
        List<Rule> policyRules = new ArrayList<>();
        List<Origin> ruleOrigins = new ArrayList<>();
        Map<String, Origin> names = new HashMap<>();
        Map<String, Origin> origins = new LinkedHashMap<>();
        scalars.forEach((k, v) -> origins.put(k, v.origin()));
        for (RuleSource r : rules) {
            int number = policyRules.size() + 1;
            policyRules.add(rule(r, number, names));
            ruleOrigins.add(r.layer().at(r.at()));
            // rule[N].KEY, N counted over all files: where --explain says a rule's value was set
            r.node().fieldNames().forEachRemaining(k -> origins.put("rule[" + number + "]." + k,
                    r.layer().at(r.at() + "." + k)));
        }
        return new Config(mainFile, socket, stateDir, auditLog, new Policy(policyRules, defaultActions),
                limits(), audit(auditLog), metrics(),
                new Config.Sources(List.copyOf(files), Map.copyOf(origins), List.copyOf(ruleOrigins)));
    }

    private Rule rule(RuleSource r, int number, Map<String, Origin> names) throws ConfigException {
        Layer layer = r.layer();
        Map<String, Value> actions = new HashMap<>();
        Value nameValue = null;
        Value matchValue = null;
        for (Iterator<Map.Entry<String, JsonNode>> it = r.node().fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String field = r.at() + "." + e.getKey();
            checkKnown(layer, field, e.getKey(), RULE);
            Value v = new Value(e.getValue(), field, layer.at(field));
            switch (e.getKey()) {
                case "name" -> nameValue = v;
                case "match" -> matchValue = v;
                default -> actions.put(e.getKey(), v);
            }
        }
        String name = nameValue == null ? "rule[" + number + "]" : string(nameValue);
        if (name.isBlank()) {
            throw error(nameValue, "must not be empty");
        }
        Origin here = nameValue != null ? nameValue.origin() : layer.at(r.at());
        Origin earlier = names.putIfAbsent(name, here);
        if (earlier != null) {
            throw error(nameValue != null ? nameValue : new Value(null, r.at() + ".name", here),
                    "'" + name + "' is already the name of an earlier rule (" + earlier + ")");
        }
        Match match = matchValue == null ? Match.ANY : match(layer, matchValue);
        return new Rule(name, match, actions(actions));
    }

    private Match match(Layer layer, Value m) throws ConfigException {
        if (!m.node().isObject()) {
            throw error(m, "expected a table (match = { service = \"sshd\" } or [rule.match]), got " + describe(m.node()));
        }
        Map<String, Value> c = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = m.node().fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String field = m.field() + "." + e.getKey();
            checkKnown(layer, field, e.getKey(), MATCH);
            c.put(e.getKey(), new Value(e.getValue(), field, layer.at(field)));
        }
        return new Match(
                list(c.get("user"), "a glob", false, Glob::compile),
                list(c.get("group"), "a group name or gid", true, s -> s),
                list(c.get("uid"), "a uid or a range like \"1000-59999\"", true, UidRange::parse),
                list(c.get("service"), "a glob", false, Glob::compile),
                list(c.get("tty"), "a glob", false, Glob::compile),
                list(c.get("rhost"), "a glob or a CIDR block", false, HostPattern::parse),
                c.containsKey("has_session_keyring") ? Optional.of(bool(c.get("has_session_keyring")))
                        : Optional.empty());
    }

    /** A string (or, where {@code integers}, an integer) or a non-empty array of them, each parsed. */
    private <T> Optional<List<T>> list(Value v, String what, boolean integers, Function<String, T> parse)
            throws ConfigException {
        if (v == null) {
            return Optional.empty();
        }
        List<JsonNode> items = new ArrayList<>();
        if (v.node().isArray()) {
            v.node().forEach(items::add);
            if (items.isEmpty()) {
                throw error(v, "an empty list matches nothing; remove the key to match everything");
            }
        } else {
            items.add(v.node());
        }
        String expected = "expected " + what + (integers ? " (a string or an integer)" : " (a string)")
                + " or an array of them, got ";
        List<T> out = new ArrayList<>();
        for (JsonNode item : items) {
            boolean ok = item.isTextual() || (integers && item.isIntegralNumber());
            if (!ok) {
                throw error(v, expected + describe(item));
            }
            try {
                out.add(parse.apply(item.asText()));
            } catch (IllegalArgumentException e) {
                throw error(v, e.getMessage());
            }
        }
        return Optional.of(List.copyOf(out));
    }

    private Actions actions(Map<String, Value> a) throws ConfigException {
        Value max = a.get("max_sessions_per_user");
        Value revoke = a.get("revoke");
        Optional<RevokeMode> revokeMode = Optional.empty();
        if (revoke != null) {
            JsonNode n = revoke.node();
            if (!n.isBoolean() && !n.isTextual()) {
                throw error(revoke, "expected true, false or \"when-unused\", got " + describe(n));
            }
            revokeMode = Optional.of(parse(revoke, n.isBoolean() ? n.booleanValue() : n.textValue(),
                    RevokeMode::fromConfig));
        }
        Value perm = a.get("permissions");
        return new Actions(
                enumValue(a.get("create"), CreateMode::fromConfig),
                revokeMode,
                enumValue(a.get("close_action"), CloseAction::fromConfig),
                optionalBool(a.get("link_user_keyring")),
                optionalBool(a.get("link_persistent_keyring")),
                enumValue(a.get("owner"), Owner::fromConfig),
                perm == null ? OptionalInt.empty() : OptionalInt.of(parse(perm, string(perm), KeyPermissions::parse)),
                max == null ? OptionalInt.empty() : OptionalInt.of(integer(max, 0, Integer.MAX_VALUE,
                        "must be 0 (no limit) or more")),
                optionalBool(a.get("revoke_on_exit")),
                enumValue(a.get("max_lifetime"), Lifetime::parse));
    }

    private <T> Optional<T> enumValue(Value v, Function<String, T> parse) throws ConfigException {
        return v == null ? Optional.empty() : Optional.of(parse(v, string(v), parse));
    }

    private <S, T> T parse(Value v, S value, Function<S, T> parse) throws ConfigException {
        try {
            return parse.apply(value);
        } catch (IllegalArgumentException e) {
            throw error(v, e.getMessage());
        }
    }

    private Optional<Boolean> optionalBool(Value v) throws ConfigException {
        return v == null ? Optional.empty() : Optional.of(bool(v));
    }

    // ---- limits, audit, metrics, paths -------------------------------------------------------

    private Limits limits() throws ConfigException {
        Limits d = Limits.DEFAULT;
        return new Limits(
                range("limits.max_frame", d.maxFrame(), 256, 65535),
                range("limits.max_connections", d.maxConnections(), 1, 100_000),
                range("limits.max_connections_per_uid", d.maxConnectionsPerUid(), 1, 100_000),
                range("limits.idle_timeout_ms", d.idleTimeoutMillis(), 100, 3_600_000),
                range("limits.request_timeout_ms", d.requestTimeoutMillis(), 100, 600_000));
    }

    private AuditSettings audit(Path file) throws ConfigException {
        AuditSettings d = AuditSettings.defaults(file);
        Value syslog = scalars.get("audit.syslog");
        return new AuditSettings(file,
                range("audit.max_size_mb", (int) (d.maxSizeBytes() >> 20), 1, 100_000) * 1024L * 1024L,
                range("audit.max_files", d.maxFiles(), 1, 1000),
                syslog != null && bool(syslog),
                range("audit.queue_size", d.queueSize(), 0, 10_000_000),
                range("audit.queue_timeout_ms", d.queueTimeoutMillis(), 0, 10_000));
    }

    private MetricsSettings metrics() throws ConfigException {
        Value textfile = scalars.get("metrics.textfile");
        Optional<Path> file = textfile == null || string(textfile).isEmpty() ? Optional.empty()
                : Optional.of(path(textfile, null));
        return new MetricsSettings(file, range("metrics.interval_ms", MetricsSettings.OFF.intervalMillis(), 1000,
                3_600_000));
    }

    private int range(String field, int dflt, int min, int max) throws ConfigException {
        Value v = scalars.get(field);
        return v == null ? dflt : integer(v, min, max, "must be between " + min + " and " + max);
    }

    private Path path(Value v, Path dflt) throws ConfigException {
        if (v == null) {
            return dflt;
        }
        String s = string(v);
        if (s.isEmpty() || !s.startsWith("/")) {
            throw error(v, "must be an absolute path, got '" + s + "'");
        }
        return Path.of(s).normalize();
    }

    // ---- types, with no coercion ---------------------------------------------------------------

    private String string(Value v) throws ConfigException {
        if (!v.node().isTextual()) {
            throw error(v, "expected a string, got " + describe(v.node()));
        }
        return v.node().textValue();
    }

    private boolean bool(Value v) throws ConfigException {
        if (!v.node().isBoolean()) {
            throw error(v, "expected true or false, got " + describe(v.node()));
        }
        return v.node().booleanValue();
    }

    private int integer(Value v, int min, int max, String rangeReason) throws ConfigException {
        JsonNode n = v.node();
        if (!n.isIntegralNumber()) {
            String hint = n.isTextual() && n.textValue().trim().matches("-?[0-9]+")
                    ? " (write " + n.textValue().trim() + " without quotes)" : "";
            throw error(v, "expected an integer, got " + describe(n) + hint);
        }
        if (!n.canConvertToLong() || n.longValue() < min || n.longValue() > max) {
            throw error(v, rangeReason + ", got " + n.asText());
        }
        return n.intValue();
    }

    /** The value as TOML writes it, and what it is, for "expected X, got Y". */
    static String describe(JsonNode n) {
        if (n.isTextual()) {
            return "the string \"" + n.textValue() + "\"";
        }
        if (n.isIntegralNumber()) {
            return "the integer " + n.asText();
        }
        if (n.isNumber()) {
            return "the float " + n.decimalValue().toPlainString();
        }
        if (n.isBoolean()) {
            return n.asText();
        }
        if (n.isArray()) {
            return "an array";
        }
        if (n.isObject()) {
            return "a table";
        }
        return n.getNodeType().name().toLowerCase();
    }

    private static ConfigException error(Origin at, String field, String reason) {
        return new ConfigException(at.file().toString(), at.line(), field, reason);
    }

    private static ConfigException error(Value v, String reason) {
        return error(v.origin(), v.field(), reason);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return List.copyOf(out);
    }
}
