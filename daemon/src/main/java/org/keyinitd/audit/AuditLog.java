package org.keyinitd.audit;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.Appender;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import org.keyinitd.config.AuditSettings;
import org.slf4j.LoggerFactory;

/**
 * Writes one JSON object per line ({@code ts}, {@code event}, {@code outcome}, then the event's
 * fields in order) through Logback: logger {@code keyinitd.audit}, not additive, so audit lines
 * never mix with the daemon log. Its appenders are the rotating audit file
 * ({@link AuditFileAppender}) and, with {@code syslog = true}, the local syslog socket
 * ({@link LocalSyslogAppender}).
 *
 * <p>Delivery. {@link #record} encodes the line on the caller's thread and puts it in a bounded
 * queue ({@code queueSize}); one writer thread takes lines from it in order and hands them to the
 * appenders, so a slow disk delays the file, not the login. When the queue is full, record()
 * waits up to {@code queueTimeoutMillis} for room, then drops the line: it is counted
 * ({@link #dropped()}) and an ERROR goes to the daemon log at most every 10 s with the count so
 * far. {@code queueSize = 0} means no queue: each line is written on the caller's thread before
 * record() returns (the strict, pre-queue behaviour; a slow disk then slows the login).
 *
 * <p>{@link #close()} stops accepting lines, waits until the writer has written every line
 * already queued (however long the disk takes: nothing accepted is lost on a clean shutdown),
 * then stops the appenders, which flushes and closes the file. A record() after close() is not
 * written: it is dropped and counted like a line refused by a full queue (the appenders are
 * closed by then, and writing on the caller's thread would reopen the race close() just ended).
 */
public final class AuditLog implements AutoCloseable {
    public static final String LOGGER_NAME = "keyinitd.audit";

    private static final ObjectMapper JSON = new ObjectMapper();

    static {
        JSON.getFactory().setCharacterEscapes(new JsonEscapes());
    }
    private static final org.slf4j.Logger log = LoggerFactory.getLogger(AuditLog.class);
    private static final String FQCN = AuditLog.class.getName();
    private static final int BATCH = 1024;

    /** An encoded line, the event's instant (which the syslog timestamp shows) and its severity. */
    private record Line(Instant ts, String json, Severity severity) {
    }

    private static final Line STOP = new Line(Instant.EPOCH, "", Severity.INFO);

    private final Logger logger;
    private volatile List<Appender<ILoggingEvent>> appenders; // replaced only by reconfigure(), under appendLock
    /** Held around each hand-over to the appenders, and by reconfigure() while it swaps them. */
    private final Object appendLock = new Object();
    private final int queueSize;
    private volatile long offerTimeoutNanos;
    private final BlockingQueue<Line> queue; // null when queueSize == 0
    private final Thread writer;             // null when queueSize == 0
    /** record() holds it shared while it checks {@code closed} and queues; close() exclusively to set it. */
    private final ReadWriteLock state = new ReentrantReadWriteLock();
    private boolean closed; // guarded by state
    private final AtomicLong dropped = new AtomicLong();
    private final ReportGate dropReport = new ReportGate();
    private final ReportGate writeReport = new ReportGate();
    private final ReportGate listenerReport = new ReportGate();
    private final ReportGate waitReport = new ReportGate();
    private final List<Consumer<AuditEvent>> listeners = new CopyOnWriteArrayList<>();

    /**
     * Attaches {@code appenders} (started) to logger {@code keyinitd.audit}, replacing whatever
     * was attached there, and starts the writer. Tests pass their own appenders here.
     */
    AuditLog(LoggerContext ctx, List<Appender<ILoggingEvent>> appenders, int queueSize, int queueTimeoutMillis) {
        if (queueSize < 0 || queueTimeoutMillis < 0) {
            throw new IllegalArgumentException("queueSize and queueTimeoutMillis must be >= 0");
        }
        this.logger = ctx.getLogger(LOGGER_NAME);
        this.appenders = List.copyOf(appenders);
        this.queueSize = queueSize;
        this.offerTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(queueTimeoutMillis);
        logger.detachAndStopAllAppenders();
        logger.setAdditive(false);
        logger.setLevel(Level.INFO);
        this.appenders.forEach(logger::addAppender);
        if (queueSize > 0) {
            queue = new LinkedBlockingQueue<>(queueSize);
            writer = new Thread(this::drain, "keyinitd-audit-writer");
            writer.setDaemon(true); // close() drains it; it must not keep a JVM alive on its own
            writer.start();
        } else {
            queue = null;
            writer = null;
        }
    }

    /**
     * Opens the audit log: {@code settings.file()} (created mode 0640 if missing, its parent 0750),
     * rotated by size, plus syslog if {@code settings.syslog()}, behind the queue.
     */
    public static AuditLog open(AuditSettings settings) throws IOException {
        return open(settings, LocalSyslogAppender.DEV_LOG);
    }

    /** As {@link #open(AuditSettings)}, with the syslog socket at {@code syslogSocket}. */
    static AuditLog open(AuditSettings settings, Path syslogSocket) throws IOException {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        return new AuditLog(ctx, openAppenders(settings, syslogSocket), settings.queueSize(),
                settings.queueTimeoutMillis());
    }

    private static List<Appender<ILoggingEvent>> openAppenders(AuditSettings settings, Path syslogSocket)
            throws IOException {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        List<Appender<ILoggingEvent>> appenders = new ArrayList<>();
        appenders.add(AuditFileAppender.open(ctx, settings));
        if (settings.syslog()) {
            LocalSyslogAppender syslog = new LocalSyslogAppender(syslogSocket);
            syslog.setContext(ctx);
            syslog.start();
            appenders.add(syslog);
        }
        return appenders;
    }

    /**
     * Applies changed settings at run time (a reload): the file and its rotation, the syslog copy
     * and the queue's wait. The queue's size is fixed when the log is opened (a reload refuses to
     * change it). Between two lines, under the lock every write takes, the old appenders are
     * stopped (flushed, closed) and the new ones started, so no line is lost or written twice.
     * If the new appenders cannot be opened, the old settings are opened again and the error is
     * thrown. {@code settings.queueSize()} is ignored.
     */
    public void reconfigure(AuditSettings settings, AuditSettings previous) throws IOException {
        synchronized (appendLock) {
            for (Appender<ILoggingEvent> appender : appenders) {
                logger.detachAppender(appender);
                appender.stop();
            }
            List<Appender<ILoggingEvent>> next;
            try {
                next = openAppenders(settings, LocalSyslogAppender.DEV_LOG);
            } catch (IOException | RuntimeException e) {
                next = openAppenders(previous, LocalSyslogAppender.DEV_LOG);
                next.forEach(logger::addAppender);
                appenders = next;
                throw e;
            }
            next.forEach(logger::addAppender);
            appenders = next;
            offerTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(settings.queueTimeoutMillis());
        }
    }

    /**
     * Calls every listener with {@code event} (on this thread, before anything else), then queues
     * its line for the writer. Returns within about queueTimeoutMillis even when the disk is stuck.
     */
    public void record(AuditEvent event) {
        for (Consumer<AuditEvent> listener : listeners) {
            try {
                listener.accept(event);
            } catch (Exception e) {
                if (listenerReport.tryPass()) {
                    log.error("audit listener {} failed on {}: {}", listener, event.event(), e.toString());
                }
            }
        }
        String json;
        try {
            json = encode(event);
        } catch (JsonProcessingException e) {
            log.error("cannot encode audit event {}: {}", event.event(), e.getMessage());
            return;
        }
        Line line = new Line(event.ts(), json, event.severity());
        boolean accepted;
        boolean afterClose;
        Lock shared = state.readLock();
        shared.lock();
        try {
            afterClose = closed;
            if (afterClose) {
                accepted = false;
            } else if (queue == null) {
                write(line);
                accepted = true;
            } else if (event.noise()) {
                accepted = offerNoise(line);
            } else {
                accepted = put(line);
            }
        } finally {
            shared.unlock();
        }
        if (!accepted) {
            drop(afterClose);
        }
    }

    /** Lines not written because the queue stayed full, or because they came after close(). */
    public long dropped() {
        return dropped.get();
    }

    /** Lines written to the file that could not be handed to syslog (0 when syslog is off). */
    public long syslogFailures() {
        return appenders.stream().filter(LocalSyslogAppender.class::isInstance)
                .mapToLong(a -> ((LocalSyslogAppender) a).failures()).sum();
    }

    /**
     * {@code listener} sees every recorded event, synchronously inside record() on the caller's
     * thread, before it is queued, including events then dropped. It must be quick; an exception
     * it throws is logged (at most every 10 s) and does not affect record().
     */
    public void addListener(Consumer<AuditEvent> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** Stops accepting lines, writes every queued line, then flushes and closes the appenders. */
    @Override
    public void close() {
        Lock exclusive = state.writeLock();
        exclusive.lock();
        try {
            if (closed) {
                return;
            }
            closed = true; // from here on no record() can queue: STOP below is the last line
        } finally {
            exclusive.unlock();
        }
        boolean interrupted = false;
        if (writer != null) {
            while (true) {
                try {
                    if (queue.offer(STOP, 100, TimeUnit.MILLISECONDS) || !writer.isAlive()) {
                        break;
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            while (writer.isAlive()) {
                try {
                    writer.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            // Empty unless the writer died of an Error: write what it left, here.
            for (Line l = queue.poll(); l != null; l = queue.poll()) {
                if (l != STOP) {
                    write(l);
                }
            }
        }
        synchronized (appendLock) {
            for (Appender<ILoggingEvent> appender : appenders) {
                logger.detachAppender(appender);
                appender.stop(); // flushes and closes
            }
        }
        if (dropped.get() > 0) {
            log.error("audit log closed; {} audit lines were dropped while it was open", dropped.get());
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A real event waits for room as long as the writer lives: never dropped. Past
     * queueTimeoutMillis the daemon log says logins are waiting for the disk (at most every 10 s).
     */
    private boolean put(Line line) {
        boolean interrupted = false;
        boolean reported = false;
        try {
            while (true) {
                try {
                    if (queue.offer(line, offerTimeoutNanos, TimeUnit.NANOSECONDS)) {
                        return true;
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                }
                if (!writer.isAlive()) {
                    return queue.offer(line);
                }
                if (!reported && waitReport.tryPass()) {
                    reported = true;
                    log.error("audit queue full ({} lines waiting for the disk for over {} ms): requests wait for "
                            + "their audit line", queueSize, TimeUnit.NANOSECONDS.toMillis(offerTimeoutNanos));
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Noise never waits and may fill only half the queue, so it can never take the room a real
     * event needs; past that it is dropped and counted.
     */
    private boolean offerNoise(Line line) {
        return queue.size() < Math.max(1, queueSize / 2) && queue.offer(line);
    }

    /** Reopens the audit file by its name (SIGUSR1, after an outside rotation). */
    public void reopen() {
        for (Appender<ILoggingEvent> a : appenders) {
            if (a instanceof AuditFileAppender f) {
                f.reopen();
            }
        }
    }

    private void drop(boolean afterClose) {
        long n = dropped.incrementAndGet();
        if (dropReport.tryPass()) {
            if (afterClose) {
                log.error("audit line recorded after the audit log was closed, not written: {} audit lines dropped so far",
                        n);
            } else {
                log.error("audit queue over half full: {} rate-limited lines from unprivileged peers dropped so far", n);
            }
        }
    }

    /** The writer thread: lines in queue order until STOP. */
    private void drain() {
        List<Line> batch = new ArrayList<>(BATCH);
        while (true) {
            try {
                batch.add(queue.take());
            } catch (InterruptedException e) {
                continue; // only close() ends the writer, through STOP
            }
            queue.drainTo(batch, BATCH - 1);
            for (Line line : batch) {
                if (line == STOP) {
                    return;
                }
                write(line);
            }
            batch.clear();
        }
    }

    private void write(Line line) {
        Level level = switch (line.severity()) {
            case ERROR -> Level.ERROR;
            case WARNING -> Level.WARN;
            case INFO -> Level.INFO;
        };
        LoggingEvent event = new LoggingEvent(FQCN, logger, level, line.json(), null, null);
        event.setInstant(line.ts());
        try {
            synchronized (appendLock) {
                logger.callAppenders(event);
            }
        } catch (RuntimeException e) {
            if (writeReport.tryPass()) {
                log.error("cannot write audit line: {}", e.toString());
            }
        }
    }

    /**
     * The line: {@code ts}, {@code event}, {@code outcome}, then the fields in order, written
     * straight to one generator (strings, numbers and booleans by hand; anything else, such as
     * {@code key_types}, through the mapper), with the same escapes as the mapper's.
     */
    static String encode(AuditEvent event) throws JsonProcessingException {
        java.io.StringWriter out = new java.io.StringWriter(384);
        try (com.fasterxml.jackson.core.JsonGenerator g = JSON.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("ts", event.ts().toString());
            g.writeStringField("event", event.event());
            g.writeStringField("outcome", event.outcome());
            for (Map.Entry<String, Object> f : event.fields().entrySet()) {
                String k = f.getKey();
                Object v = f.getValue();
                if (v instanceof String str) {
                    g.writeStringField(k, str);
                } else if (v instanceof Long l) {
                    g.writeNumberField(k, l);
                } else if (v instanceof Integer i) {
                    g.writeNumberField(k, i);
                } else if (v instanceof Boolean bool) {
                    g.writeBooleanField(k, bool);
                } else if (v == null) {
                    g.writeNullField(k);
                } else {
                    g.writeFieldName(k);
                    JSON.writeValue(g, v);
                }
            }
            g.writeEndObject();
        } catch (JsonProcessingException e) {
            throw e;
        } catch (IOException e) {
            throw new IllegalStateException("writing to a StringWriter cannot fail", e);
        }
        return out.toString();
    }
}
