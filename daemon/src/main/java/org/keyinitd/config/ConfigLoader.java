package org.keyinitd.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Reads and validates the configuration: the main TOML file, then the drop-ins beside it
 * ({@code conf.d/*.toml} in the main file's directory, in byte order of their names). A scalar
 * key set in several files takes the last file's value; rules are appended in file order.
 */
public final class ConfigLoader {
    static final TomlMapper MAPPER = new TomlMapper();
    /** The drop-in directory, relative to the main file's directory. */
    public static final String DROP_IN_DIR = "conf.d";

    private ConfigLoader() {
    }

    /** The main file and its drop-ins. */
    public static Config load(Path file) throws ConfigException {
        ConfigValidator v = new ConfigValidator(file);
        v.add(layer(file, read(file)));
        for (Path dropIn : dropIns(file)) {
            v.add(layer(dropIn, read(dropIn)));
        }
        return v.build();
    }

    /** One file's text, without drop-ins (tests, benchmarks). */
    public static Config parse(Path file, String text) throws ConfigException {
        ConfigValidator v = new ConfigValidator(file);
        v.add(layer(file, text));
        return v.build();
    }

    /** What --check-config prints for a valid file: {@code FILE: OK (N rules)}, then the drop-ins read. */
    public static String summary(Config c) {
        List<Path> files = c.sources().files();
        StringBuilder sb = new StringBuilder().append(c.file()).append(": OK (").append(c.policy().rules().size())
                .append(c.policy().rules().size() == 1 ? " rule)" : " rules)");
        if (files.size() > 1) {
            sb.append(", with ").append(files.size() - 1).append(files.size() == 2 ? " drop-in:" : " drop-ins:");
            files.subList(1, files.size()).forEach(f -> sb.append(' ').append(f));
        }
        return sb.toString();
    }

    /** {@code conf.d} beside {@code file}. */
    public static Path dropInDir(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        return parent == null ? Path.of("/", DROP_IN_DIR) : parent.resolve(DROP_IN_DIR);
    }

    /**
     * The drop-ins of {@code file}, in the order they are merged: regular files named
     * {@code *.toml} (not starting with a dot) in {@link #dropInDir}, sorted by name as bytes
     * (as {@code LC_ALL=C ls} sorts them). No directory: none.
     */
    public static List<Path> dropIns(Path file) throws ConfigException {
        Path dir = dropInDir(file);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.toml")) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (!name.startsWith(".") && Files.isRegularFile(p)) {
                    out.add(p);
                }
            }
        } catch (IOException e) {
            throw new ConfigException(dir.toString(), 0, null, "cannot read the drop-in directory: " + describe(e));
        }
        out.sort(Comparator.comparing(p -> p.getFileName().toString().getBytes(StandardCharsets.UTF_8),
                java.util.Arrays::compareUnsigned));
        return out;
    }

    private static String read(Path file) throws ConfigException {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(file.toString(), 0, null, "cannot read: " + describe(e));
        }
    }

    static ConfigValidator.Layer layer(Path file, String text) throws ConfigException {
        TomlLines lines = new TomlLines(text);
        JsonNode root;
        try {
            root = MAPPER.readTree(text);
        } catch (JacksonException e) {
            throw syntax(file, lines, e);
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            root = JsonNodeFactory.instance.objectNode();
        }
        return new ConfigValidator.Layer(file, lines, (ObjectNode) root);
    }

    /**
     * A parse error as file:line: reason. Jackson reports a duplicate key one line late and
     * without its name, and a redefined table without either definition: for those our own
     * scan of the file names the key and both lines.
     */
    private static ConfigException syntax(Path file, TomlLines lines, JacksonException e) {
        String msg = firstLine(e.getOriginalMessage());
        int line = e.getLocation() != null ? Math.max(0, e.getLocation().getLineNr()) : 0;
        boolean redefinition = msg.startsWith("Duplicate key") || msg.startsWith("Table redefined")
                || msg.startsWith("Path into existing");
        Optional<TomlLines.Problem> p = redefinition ? lines.firstProblem() : Optional.empty();
        if (p.isPresent()) {
            return new ConfigException(file.toString(), p.get().line(), p.get().field(), p.get().reason());
        }
        return new ConfigException(file.toString(), line, null, "not valid TOML: " + msg);
    }

    static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static String describe(IOException e) {
        if (e instanceof NoSuchFileException) {
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
