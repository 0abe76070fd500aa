package org.keyinitd.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.keyinitd.config.AuditSettings;

/** The audit file through AuditLog: rotation by size, whole lines, and file modes. */
class AuditFileAppenderTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PAD = "x".repeat(100);

    @TempDir
    Path dir;

    private static AuditEvent event(int n) {
        return AuditEvent.of("session.open", "created").with("user", "alice").with("pad", PAD).with("n", n).build();
    }

    private static List<String> names(Path logDir) throws IOException {
        try (Stream<Path> s = Files.list(logDir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Oldest file first: audit.log.N .. audit.log.1, audit.log. */
    private static List<String> linesOldestFirst(Path file, int maxFiles) throws IOException {
        List<String> all = new ArrayList<>();
        for (int i = maxFiles; i >= 1; i--) {
            Path p = Path.of(file + "." + i);
            if (Files.exists(p)) {
                all.addAll(Files.readAllLines(p, StandardCharsets.UTF_8));
            }
        }
        all.addAll(Files.readAllLines(file, StandardCharsets.UTF_8));
        return all;
    }

    @Test
    void rotatesBySizeKeepingAtMostMaxFilesOfWholeLinesWithMode0640() throws Exception {
        Path file = dir.resolve("log/audit.log");
        int maxSize = 2048;
        int events = 300; // about 170 bytes each: about 25 rotations
        AuditLog audit = AuditLog.open(new AuditSettings(file, maxSize, 3, false, 1000, 50));
        for (int i = 0; i < events; i++) {
            audit.record(event(i));
        }
        audit.close();

        assertThat(names(file.getParent())).containsExactly("audit.log", "audit.log.1", "audit.log.2", "audit.log.3");
        assertThat(Files.getPosixFilePermissions(file.getParent()))
                .isEqualTo(PosixFilePermissions.fromString("rwxr-x---"));
        int longest = 0;
        for (String name : names(file.getParent())) {
            Path p = file.resolveSibling(name);
            assertThat(Files.getPosixFilePermissions(p)).as(name).isEqualTo(PosixFilePermissions.fromString("rw-r-----"));
            for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
                assertThat(JSON.readTree(line).get("event").asText()).as(name).isEqualTo("session.open");
                longest = Math.max(longest, line.length() + 1);
            }
            // the size is checked before each line: a file passes max size by less than one line
            assertThat(Files.size(p)).as(name).isLessThan(maxSize + longest);
        }
        // no line lost or split between the files that remain: a run ending with the last event
        List<String> all = linesOldestFirst(file, 3);
        assertThat(all.size()).isGreaterThan(3 * maxSize / longest);
        int first = events - all.size();
        for (int i = 0; i < all.size(); i++) {
            assertThat(JSON.readTree(all.get(i)).get("n").asInt()).isEqualTo(first + i);
        }
    }

    @Test
    void keepsMoreThanLogbacksDefaultCapOfTwentyFiles() throws Exception {
        Path file = dir.resolve("audit.log");
        AuditLog audit = AuditLog.open(new AuditSettings(file, 400, 25, false, 1000, 50));
        for (int i = 0; i < 200; i++) { // two lines per file: about 100 rotations
            audit.record(event(i));
        }
        audit.close();

        assertThat(Files.exists(Path.of(file + ".25"))).isTrue();
        assertThat(Files.exists(Path.of(file + ".26"))).isFalse();
        assertThat(names(dir)).hasSize(26);
        List<String> all = linesOldestFirst(file, 25);
        for (int i = 0; i < all.size(); i++) {
            assertThat(JSON.readTree(all.get(i)).get("n").asInt()).isEqualTo(200 - all.size() + i);
        }
    }

    @Test
    void anExistingFileKeepsItsModeAndItsLines() throws Exception {
        Path file = dir.resolve("audit.log");
        Files.writeString(file, "{\"old\":true}\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        AuditLog audit = AuditLog.open(new AuditSettings(file, 1 << 20, 2, false, 100, 50));
        audit.record(event(0));
        audit.close();

        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.readAllLines(file)).hasSize(2).first().isEqualTo("{\"old\":true}");
    }

    @Test
    void aPercentSignInThePathIsRefused() {
        assertThatThrownBy(() -> AuditLog.open(AuditSettings.defaults(dir.resolve("a%d.log"))))
                .isInstanceOf(IOException.class).hasMessageContaining("%");
    }
}
