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

/** Reads and validates the TOML configuration file. */
public final class ConfigLoader {
    static final TomlMapper MAPPER = TomlMapper.builder()
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
        TomlLines lines = new TomlLines(text);
        ConfigFile raw;
        try {
            raw = MAPPER.readValue(text, ConfigFile.class);
        } catch (JacksonException e) {
            throw translate(file, lines, "", e);
        }
        if (raw == null) {
            raw = new ConfigFile(null, null, null, null, null, null, null, null);
        }
        return new ConfigValidator(file, lines).validate(raw);
    }

    /** Turns a Jackson binding error into file:line: field: reason. {@code prefix} roots relative paths. */
    static ConfigException translate(Path file, TomlLines lines, String prefix, JacksonException e) {
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            String path = join(prefix, m.getPath());
            String reason = m instanceof UnrecognizedPropertyException u
                    ? "unknown key '" + u.getPropertyName() + "'"
                    : cleanReason(m);
            return new ConfigException(file.toString(), lines.lineOf(path), path, reason);
        }
        int line = e.getLocation() != null ? Math.max(0, e.getLocation().getLineNr()) : 0;
        String reason = prefix.isEmpty() ? "not valid TOML: " + firstLine(e.getOriginalMessage())
                : firstLine(e.getOriginalMessage());
        return new ConfigException(file.toString(), prefix.isEmpty() ? line : lines.lineOf(prefix),
                prefix.isEmpty() ? null : prefix, reason);
    }

    private static String join(String prefix, List<JsonMappingException.Reference> refs) {
        StringBuilder sb = new StringBuilder(prefix);
        for (JsonMappingException.Reference r : refs) {
            if (r.getFieldName() != null) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex() + 1).append(']');
            }
        }
        return sb.toString();
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
        if (msg.contains("`java.lang.Integer`")) {
            return "expected an integer";
        }
        if (msg.contains("`java.lang.Boolean`")) {
            return "expected true or false";
        }
        if (msg.contains("`java.lang.String`")) {
            return "expected a string";
        }
        if (msg.contains("`java.util.List`") || msg.contains("`java.util.ArrayList`")) {
            return "expected an array of tables ([[...]])";
        }
        if (msg.contains("`java.util.Map`") || msg.contains("`java.util.LinkedHashMap`") || msg.contains("Section`")) {
            return "expected a table";
        }
        return msg;
    }

    static String firstLine(String s) {
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
        if (e instanceof java.nio.charset.MalformedInputException) {
            return "not UTF-8 text";
        }
        return e.toString();
    }
}
