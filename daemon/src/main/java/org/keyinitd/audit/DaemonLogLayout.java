package org.keyinitd.audit;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/**
 * The daemon log's line: {@code 2026-12-03T08:13:03.804Z INFO  [main] Daemon: message}, the
 * message with every control character escaped ({@link Escape}: log messages quote what peers
 * send, so a CR or LF cannot start a forged line and an escape sequence cannot reach a
 * terminal), then the stack trace of an exception, if any. Under systemd (stderr connected to
 * the journal, which systemd says by setting {@code JOURNAL_STREAM}) each line starts with the
 * sd-daemon(3) priority prefix, {@code <3>} error, {@code <4>} warning, {@code <6>} info,
 * {@code <7>} debug, which journald turns into the entry's priority. Written in code rather
 * than as a logback.xml pattern: parsing XML at start cost the daemon a tenth of a second.
 */
public final class DaemonLogLayout extends LayoutBase<ILoggingEvent> {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX")
            .withZone(ZoneId.systemDefault());
    private final boolean journal;

    public DaemonLogLayout() {
        this(System.getenv("JOURNAL_STREAM") != null);
    }

    DaemonLogLayout(boolean journal) {
        this.journal = journal;
    }

    @Override
    public String doLayout(ILoggingEvent event) {
        StringBuilder line = new StringBuilder(160);
        if (journal) {
            line.append(priorityPrefix(event.getLevel()));
        }
        TIME.formatTo(Instant.ofEpochMilli(event.getTimeStamp()), line);
        String level = event.getLevel().toString();
        line.append(' ').append(level).append(" ".repeat(Math.max(0, 5 - level.length())))
                .append(" [").append(event.getThreadName()).append("] ")
                .append(simpleName(event.getLoggerName())).append(": ")
                .append(Escape.line(event.getFormattedMessage())).append(CoreConstants.LINE_SEPARATOR);
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            line.append(ThrowableProxyUtil.asString(thrown)).append(CoreConstants.LINE_SEPARATOR);
        }
        return line.toString();
    }

    static String priorityPrefix(Level level) {
        return switch (level.toInt()) {
            case Level.ERROR_INT -> "<3>";
            case Level.WARN_INT -> "<4>";
            case Level.INFO_INT -> "<6>";
            default -> "<7>";
        };
    }

    private static String simpleName(String logger) {
        return logger.substring(logger.lastIndexOf('.') + 1);
    }
}
