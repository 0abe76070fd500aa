package org.keyinitd.audit;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * Writes one JSON object per line to the audit log through a Logback file appender of its own
 * (logger {@code keyinitd.audit}, not additive, so audit lines never mix with the daemon log).
 */
public final class AuditLog implements AutoCloseable {
    public static final String LOGGER_NAME = "keyinitd.audit";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final org.slf4j.Logger log = LoggerFactory.getLogger(AuditLog.class);

    private final Logger logger;
    private final FileAppender<ILoggingEvent> appender;

    private AuditLog(Logger logger, FileAppender<ILoggingEvent> appender) {
        this.logger = logger;
        this.appender = appender;
    }

    /** Opens (creating if needed, mode 0640, parent 0750) the audit log at {@code file}. */
    public static AuditLog open(Path file) throws IOException {
        prepare(file);
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(ctx);
        encoder.setPattern("%msg%n");
        encoder.start();

        FileAppender<ILoggingEvent> appender = new FileAppender<>();
        appender.setContext(ctx);
        appender.setName("audit-file");
        appender.setFile(file.toString());
        appender.setAppend(true);
        appender.setImmediateFlush(true); // an audit line must be on disk before the login proceeds
        appender.setEncoder(encoder);
        appender.start();
        if (!appender.isStarted()) {
            throw new IOException("cannot open audit log " + file);
        }
        Logger logger = ctx.getLogger(LOGGER_NAME);
        logger.detachAndStopAllAppenders();
        logger.setAdditive(false);
        logger.setLevel(Level.INFO);
        logger.addAppender(appender);
        return new AuditLog(logger, appender);
    }

    private static void prepare(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-x---")));
        }
        if (!Files.exists(file)) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r-----")));
        }
    }

    public void record(AuditEvent event) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("ts", event.ts().toString());
        line.put("event", event.event());
        line.put("outcome", event.outcome());
        line.putAll(event.fields());
        try {
            logger.info(JSON.writeValueAsString(line));
        } catch (JsonProcessingException e) {
            log.error("cannot encode audit event {}: {}", event.event(), e.getMessage());
        }
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
    }
}
