package org.keyinitd.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EscapeTest {
    @Test
    void controlCharactersBecomeVisibleEscapesAndPlainTextIsKept() {
        assertThat(Escape.line("alice")).isEqualTo("alice");
        assertThat(Escape.line("jürgen")).isEqualTo("jürgen");
        assertThat(Escape.line("x\r\n2026-01-01 INFO forged")).isEqualTo("x\\r\\n2026-01-01 INFO forged");
        assertThat(Escape.line("\u001b[2J\u009b31m\u007f\u2028")).isEqualTo("\\x1b[2J\\x9b31m\\x7f\\u2028");
        assertThat(Escape.line("a\\nb")).as("a literal backslash cannot forge an escape").isEqualTo("a\\\\nb");
    }

    @Test
    void auditJsonEscapesDelAndC1ControlsTooAndLeavesNoEmptyFields() throws Exception {
        AuditEvent e = AuditEvent.of("session.open", "denied").with("user", "a\u009b\u007f\u2028b")
                .with("rhost", "").build();
        String json = AuditLog.encode(e);
        assertThat(json).containsIgnoringCase("a\\u009b\\u007f\\u2028b").doesNotContain("rhost");
        for (char c : json.toCharArray()) {
            assertThat(Escape.isUnsafe(c)).as("raw char %04x in %s", (int) c, json).isFalse();
        }
        assertThat(new ObjectMapper().readTree(json).get("user").asText()).isEqualTo("a\u009b\u007f\u2028b");
        assertThat(new AuditEvent(Instant.now(), "x", "denied", Map.of()).severity()).isEqualTo(Severity.WARNING);
        assertThat(new AuditEvent(Instant.now(), "x", "error", Map.of()).severity()).isEqualTo(Severity.ERROR);
        assertThat(new AuditEvent(Instant.now(), "x", "created", Map.of()).severity()).isEqualTo(Severity.INFO);
    }

    @Test
    void syslogSeverityFollowsTheOutcome() {
        LocalSyslogAppender a = new LocalSyslogAppender(java.nio.file.Path.of("/nonexistent"));
        Instant t = Instant.parse("2026-11-23T08:15:09Z");
        assertThat(a.format(t, "{}", ch.qos.logback.classic.Level.INFO)).startsWith("<86>");
        assertThat(a.format(t, "{}", ch.qos.logback.classic.Level.WARN)).startsWith("<84>");
        assertThat(a.format(t, "{}", ch.qos.logback.classic.Level.ERROR)).startsWith("<83>");
    }
}
