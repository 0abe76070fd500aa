package org.keyinitd.audit;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import org.junit.jupiter.api.Test;

class DaemonLogLayoutTest {
    private static LoggingEvent event(Level level, String message, Throwable thrown) {
        LoggerContext ctx = new LoggerContext();
        LoggingEvent e = new LoggingEvent("x", ctx.getLogger("org.keyinitd.launcher.Daemon"), level, message, thrown,
                null);
        e.setThreadName("accept-1");
        return e;
    }

    @Test
    void oneLineWithTimeLevelThreadShortLoggerAndTheMessageEscaped() {
        String line = new DaemonLogLayout(false).doLayout(event(Level.INFO, "user x\r\n2026-01-01 INFO forged\u001b[2J", null));
        assertThat(line).matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}(Z|[+-]\\d{2}:\\d{2}) INFO  \\[accept-1\\] "
                + "Daemon: user x\\\\r\\\\n2026-01-01 INFO forged\\\\x1b\\[2J\\R");
        assertThat(line.split("\n", -1)).as("one line only").hasSize(2);
    }

    @Test
    void underTheJournalEachLineStartsWithItsSdDaemonPriority() {
        DaemonLogLayout journal = new DaemonLogLayout(true);
        assertThat(journal.doLayout(event(Level.ERROR, "e", null))).startsWith("<3>");
        assertThat(journal.doLayout(event(Level.WARN, "w", null))).startsWith("<4>").contains(" WARN  [");
        assertThat(journal.doLayout(event(Level.INFO, "i", null))).startsWith("<6>");
        assertThat(journal.doLayout(event(Level.DEBUG, "d", null))).startsWith("<7>");
        assertThat(new DaemonLogLayout(false).doLayout(event(Level.ERROR, "e", null))).doesNotStartWith("<");
    }

    @Test
    void anExceptionFollowsWithItsStackTrace() {
        String line = new DaemonLogLayout(false).doLayout(event(Level.ERROR, "failed", new IllegalStateException("boom")));
        assertThat(line).contains("Daemon: failed").contains("java.lang.IllegalStateException: boom")
                .contains("at org.keyinitd.audit.DaemonLogLayoutTest");
    }
}
