package org.keyinitd.audit;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** docs/audit.schema.json, for tests: what is wrong with one audit line (empty when nothing). */
public final class AuditSchema {
    private static final Schema SCHEMA = load();

    private AuditSchema() {
    }

    public static Path file() {
        for (Path p : List.of(Path.of("docs/audit.schema.json"), Path.of("../docs/audit.schema.json"))) {
            if (Files.exists(p)) {
                return p;
            }
        }
        throw new IllegalStateException("docs/audit.schema.json not found from " + Path.of("").toAbsolutePath());
    }

    private static Schema load() {
        try {
            return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
                    .getSchema(Files.readString(file()), InputFormat.JSON);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static List<String> violations(String line) {
        return SCHEMA.validate(line, InputFormat.JSON).stream().map(Error::toString).toList();
    }

    /** Throws naming the line and every violation, if there is one. */
    public static void check(String line) {
        List<String> v = violations(line);
        if (!v.isEmpty()) {
            throw new AssertionError("audit line does not match docs/audit.schema.json: " + v + "\n  " + line);
        }
    }
}
