package org.keyinitd.audit;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * {@code %sdprio} in logback.xml: under systemd (stderr connected to the journal, which systemd
 * says by setting {@code JOURNAL_STREAM}) each line starts with the sd-daemon(3) priority prefix,
 * {@code <3>} error, {@code <4>} warning, {@code <6>} info, {@code <7>} debug, which journald
 * turns into the entry's priority (SyslogLevelPrefix=yes, the default). Elsewhere (a terminal,
 * jsvc's log file) it is empty.
 */
public final class JournalPriorityConverter extends ClassicConverter {
    private static final boolean JOURNAL = System.getenv("JOURNAL_STREAM") != null;

    @Override
    public String convert(ILoggingEvent event) {
        return JOURNAL ? prefix(event.getLevel()) : "";
    }

    static String prefix(Level level) {
        return switch (level.toInt()) {
            case Level.ERROR_INT -> "<3>";
            case Level.WARN_INT -> "<4>";
            case Level.INFO_INT -> "<6>";
            default -> "<7>";
        };
    }
}
