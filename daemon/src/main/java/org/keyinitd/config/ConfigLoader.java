package org.keyinitd.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.keyinitd.policy.Defaults;

/** Reads and validates the TOML configuration file. */
public final class ConfigLoader {
    private static final TomlMapper MAPPER = TomlMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    private ConfigLoader() {
    }

    public static Config load(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(file.toString(), 0, null, "cannot read: " + describe(e));
        }
        return parse(file, text);
    }

    public static Config parse(Path file, String text) throws ConfigException {
        ConfigFile raw;
        TomlLines lines = new TomlLines(text);
        try {
            raw = MAPPER.readValue(text, ConfigFile.class);
        } catch (JacksonException e) {
            throw translate(file, lines, e);
        }
        if (raw == null) {
            raw = new ConfigFile(null, null, null, null, null);
        }
        return new Validator(file, lines).validate(raw);
    }

    private static ConfigException translate(Path file, TomlLines lines, JacksonException e) {
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            List<String> path = m.getPath().stream()
                    .map(JsonMappingException.Reference::getFieldName)
                    .filter(n -> n != null)
                    .collect(Collectors.toList());
            String table = path.size() > 1 ? String.join(".", path.subList(0, path.size() - 1)) : "";
            String key = path.isEmpty() ? null : path.get(path.size() - 1);
            String reason = m instanceof UnrecognizedPropertyException u
                    ? "unknown key '" + u.getPropertyName() + "'"
                    : cleanReason(m);
            return new ConfigException(file.toString(), lines.lineOf(table, key), String.join(".", path), reason);
        }
        int line = e.getLocation() != null ? Math.max(0, e.getLocation().getLineNr()) : 0;
        return new ConfigException(file.toString(), line, null, "not valid TOML: " + firstLine(e.getOriginalMessage()));
    }

    private static String cleanReason(JsonMappingException m) {
        Throwable root = m;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root instanceof IllegalArgumentException) {
            return root.getMessage();
        }
        String msg = firstLine(m.getOriginalMessage());
        if (msg.contains("Cannot deserialize value of type `java.lang.Integer`")) {
            return "expected an integer";
        }
        if (msg.contains("Cannot deserialize value of type `java.lang.Boolean`")) {
            return "expected true or false";
        }
        if (msg.contains("Cannot deserialize value of type `java.lang.String`")) {
            return "expected a string";
        }
        return msg;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static String describe(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        return e.toString();
    }

    /** Semantic checks, each naming the key and its line. */
    private record Validator(Path file, TomlLines lines) {
        Config validate(ConfigFile raw) throws ConfigException {
            Path socket = path("", "socket", raw.socket(), Config.DEFAULT_SOCKET);
            Path stateDir = path("", "state_dir", raw.stateDir(), Config.DEFAULT_STATE_DIR);
            Path auditLog = path("", "audit_log", raw.auditLog(), Config.DEFAULT_AUDIT_LOG);
            Defaults defaults = raw.defaults() == null ? Defaults.FOLLOW_MODULE
                    : new Defaults(Optional.ofNullable(raw.defaults().create()),
                    Optional.ofNullable(raw.defaults().revoke()));
            return new Config(file, socket, stateDir, auditLog, defaults, limits(raw.limits()));
        }

        private Limits limits(ConfigFile.LimitsSection s) throws ConfigException {
            Limits d = Limits.DEFAULT;
            if (s == null) {
                return d;
            }
            return new Limits(
                    range("max_frame", s.maxFrame(), d.maxFrame(), 256, 65535),
                    range("max_connections", s.maxConnections(), d.maxConnections(), 1, 100_000),
                    range("idle_timeout_ms", s.idleTimeoutMs(), d.idleTimeoutMillis(), 100, 3_600_000),
                    range("request_timeout_ms", s.requestTimeoutMs(), d.requestTimeoutMillis(), 100, 600_000));
        }

        private int range(String key, Integer value, int dflt, int min, int max) throws ConfigException {
            if (value == null) {
                return dflt;
            }
            if (value < min || value > max) {
                throw error("limits", key, "must be between " + min + " and " + max + ", got " + value);
            }
            return value;
        }

        private Path path(String table, String key, String value, Path dflt) throws ConfigException {
            if (value == null) {
                return dflt;
            }
            if (value.isEmpty() || !value.startsWith("/")) {
                throw error(table, key, "must be an absolute path, got '" + value + "'");
            }
            return Path.of(value).normalize();
        }

        private ConfigException error(String table, String key, String reason) {
            String field = table.isEmpty() ? key : table + "." + key;
            return new ConfigException(file.toString(), lines.lineOf(table, key), field, reason);
        }
    }
}
