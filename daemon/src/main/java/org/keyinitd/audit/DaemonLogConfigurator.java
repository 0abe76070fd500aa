package org.keyinitd.audit;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * The daemon log's default set-up, found by Logback through ServiceLoader: {@link DaemonLogLayout}
 * lines on stderr (systemd's journal, or jsvc's errfile, keeps them), {@code org.keyinitd} at
 * {@code $KEYINITD_LOG_LEVEL} (INFO if unset), everything else at WARN. A logback.xml named by
 * {@code -Dlogback.configurationFile} (the launchers pass /etc/keyinitd/logback.xml when it
 * exists) replaces all of this. The audit trail is separate: {@link AuditLog} attaches its own
 * appenders to logger {@code keyinitd.audit}.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class DaemonLogConfigurator extends ContextAwareBase implements Configurator {
    static final String CONFIG_FILE_PROPERTY = "logback.configurationFile";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty(CONFIG_FILE_PROPERTY) != null
                || DaemonLogConfigurator.class.getClassLoader().getResource("logback-test.xml") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY; // the admin's logback.xml, or the unit tests'
        }
        DaemonLogLayout layout = new DaemonLogLayout();
        layout.setContext(context);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        encoder.setLayout(layout);
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.WARN);
        root.addAppender(stderr);
        context.getLogger("org.keyinitd").setLevel(Level.toLevel(System.getenv("KEYINITD_LOG_LEVEL"), Level.INFO));
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
