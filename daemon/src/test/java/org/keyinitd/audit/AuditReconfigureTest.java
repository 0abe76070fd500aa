package org.keyinitd.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.keyinitd.config.AuditSettings;

/** AuditLog.reconfigure (a reload of [audit]): every line lands once, in the file in force when it was written. */
class AuditReconfigureTest {
    @TempDir
    Path dir;

    private static AuditEvent event(int n) {
        return AuditEvent.of("session.open", "created").with("n", n).build();
    }

    @Test
    void linesBeforeAndAfterASwitchLandOnceEachInTheirFile() throws Exception {
        AuditSettings first = new AuditSettings(dir.resolve("a/audit.log"), 1 << 20, 2, false, 1000, 50);
        AuditSettings second = new AuditSettings(dir.resolve("b/audit.log"), 1 << 20, 5, false, 1000, 50);
        AuditLog audit = AuditLog.open(first);
        for (int i = 0; i < 100; i++) {
            audit.record(event(i));
        }
        audit.reconfigure(second, first);
        for (int i = 100; i < 200; i++) {
            audit.record(event(i));
        }
        audit.close();
        List<String> a = Files.readAllLines(first.file());
        List<String> b = Files.readAllLines(second.file());
        // queued lines written after the switch go to the new file: together, each exactly once, in order
        List<String> all = new java.util.ArrayList<>(a);
        all.addAll(b);
        assertThat(all).hasSize(200);
        for (int i = 0; i < 200; i++) {
            assertThat(all.get(i)).contains("\"n\":" + i + "}");
        }
        assertThat(b).last().asString().contains("\"n\":199");
    }

    @Test
    void aFileThatCannotBeOpenedKeepsTheOldOne() throws Exception {
        AuditSettings first = new AuditSettings(dir.resolve("audit.log"), 1 << 20, 2, false, 1000, 50);
        Files.writeString(dir.resolve("not-a-dir"), "x");
        AuditSettings bad = new AuditSettings(dir.resolve("not-a-dir/audit.log"), 1 << 20, 2, false, 1000, 50);
        AuditLog audit = AuditLog.open(first);
        assertThatThrownBy(() -> audit.reconfigure(bad, first)).isInstanceOf(Exception.class);
        audit.record(event(1));
        audit.close();
        assertThat(Files.readString(first.file())).contains("\"n\":1}");
    }
}
