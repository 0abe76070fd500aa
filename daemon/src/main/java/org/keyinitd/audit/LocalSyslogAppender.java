package org.keyinitd.audit;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends each audit line to the local syslog daemon the way syslog(3) does: one datagram on the
 * {@code /dev/log} Unix socket, RFC 3164 form without a host name,
 * {@code <86>Mmm dd HH:mm:ss keyinitd-audit[PID]: {json}} (86 = facility authpriv (10) * 8 +
 * severity info (6); a denial is sent as warning (84), an error as err (83); the day is space-padded and the time local, as syslog(3) writes them).
 * Logback's own SyslogAppender only speaks UDP to port 514, which neither rsyslog nor journald
 * listen on by default.
 *
 * <p>It never blocks and never throws: the socket is non-blocking (a syslog daemon that does not
 * read fills the socket buffer; the line is then not sent rather than stalling the audit file),
 * and it is unconnected (each send names {@code /dev/log}, so a restarted syslog daemon is picked
 * up at the next line). A line that cannot be sent (socket missing, buffer full, native library
 * missing) is counted ({@link #failures()}) and reported in the daemon log at most every 10 s.
 */
final class LocalSyslogAppender extends AppenderBase<ILoggingEvent> {
    static final Path DEV_LOG = Path.of("/dev/log");
    static final String TAG = "keyinitd-audit";
    static final int FACILITY = 10 * 8; // LOG_AUTHPRIV
    static final int PRIORITY = FACILITY + 6; // LOG_AUTHPRIV | LOG_INFO
    static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss", Locale.US);

    private static final Logger log = LoggerFactory.getLogger(LocalSyslogAppender.class);

    private final Path socket;
    private final String header;
    private final ZoneId zone = ZoneId.systemDefault();
    private final AtomicLong failures = new AtomicLong();
    private final ReportGate report = new ReportGate();
    private UnixDatagramChannel channel; // guarded by this (AppenderBase.doAppend is synchronized)

    LocalSyslogAppender(Path socket) {
        this.socket = socket;
        this.header = " " + TAG + "[" + ProcessHandle.current().pid() + "]: ";
        setName("audit-syslog");
    }

    /** The datagram for {@code line} logged at {@code ts}, severity info. */
    String format(Instant ts, String line) {
        return format(ts, line, Level.INFO);
    }

    /** The datagram for {@code line} logged at {@code ts}: error, warning or info as the outcome says. */
    String format(Instant ts, String line, Level level) {
        int severity = switch (level.toInt()) {
            case Level.ERROR_INT -> Severity.ERROR.syslog();
            case Level.WARN_INT -> Severity.WARNING.syslog();
            default -> Severity.INFO.syslog();
        };
        return "<" + (FACILITY + severity) + ">" + TIMESTAMP.format(ts.atZone(zone)) + header + line;
    }

    /** Lines that could not be handed to the syslog socket. */
    long failures() {
        return failures.get();
    }

    @Override
    protected void append(ILoggingEvent event) {
        byte[] datagram = format(event.getInstant(), event.getFormattedMessage(), event.getLevel())
                .getBytes(StandardCharsets.UTF_8);
        try {
            if (channel == null) {
                channel = openChannel();
            }
            int sent = channel.send(ByteBuffer.wrap(datagram), new UnixSocketAddress(socket.toFile()));
            if (sent != datagram.length) {
                fail("socket buffer full");
            }
        } catch (IOException | RuntimeException | LinkageError e) {
            fail(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
    }

    private static UnixDatagramChannel openChannel() throws IOException {
        UnixDatagramChannel c = UnixDatagramChannel.open();
        try {
            c.configureBlocking(false);
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private void fail(String why) {
        long n = failures.incrementAndGet();
        if (report.tryPass()) {
            log.error("cannot send audit lines to syslog through {} ({}): {} not sent so far", socket, why, n);
        }
    }

    @Override
    public synchronized void stop() {
        super.stop();
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing left to send
            }
            channel = null;
        }
    }
}
