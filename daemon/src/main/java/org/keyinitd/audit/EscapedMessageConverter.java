package org.keyinitd.audit;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * {@code %emsg} in logback.xml: the daemon log's message with every control character escaped
 * ({@link Escape}). Log messages quote what peers send (user names, hosts, reasons); with this a
 * CR or LF in them cannot start a forged line and an escape sequence cannot reach a terminal.
 */
public final class EscapedMessageConverter extends ClassicConverter {
    @Override
    public String convert(ILoggingEvent event) {
        return Escape.line(event.getFormattedMessage());
    }
}
