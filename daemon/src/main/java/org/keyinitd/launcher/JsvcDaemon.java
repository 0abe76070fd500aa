package org.keyinitd.launcher;

import java.nio.file.Path;
import org.apache.commons.daemon.DaemonContext;
import org.apache.commons.daemon.DaemonInitException;
import org.keyinitd.config.Config;
import org.keyinitd.config.ConfigException;
import org.keyinitd.config.ConfigLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon under jsvc (commons-daemon), for machines without systemd:
 * {@code /usr/sbin/keyinitd-jsvc} runs {@code jsvc ... org.keyinitd.launcher.JsvcDaemon --config FILE}.
 * jsvc owns the process (pidfile, detaching, signals): SIGTERM calls {@link #stop()} then
 * {@link #destroy()}. jsvc's SIGHUP is not a reload: it stops this JVM and starts a new one some
 * 20 s later (jsvc installs its handlers after {@link #start()}, so the daemon cannot take SIGHUP
 * back). Reload with {@code keyinitctl reload} ({@code keyinitd-jsvc reload}) instead: the
 * daemon's own reload, which keeps the running policy if the file is broken.
 */
public final class JsvcDaemon implements org.apache.commons.daemon.Daemon {
    private static final Logger log = LoggerFactory.getLogger(JsvcDaemon.class);

    private Path configFile;
    private Config config;
    private Daemon daemon;

    /** Reads the arguments and loads the configuration: with jsvc's -wait, a mistake fails the start. */
    @Override
    public void init(DaemonContext context) throws DaemonInitException {
        NativePreload.start();
        String[] args = context.getArguments();
        configFile = ConfigArgument.parse(args).orElseThrow(() -> new DaemonInitException(
                "keyinitd: unknown arguments '" + String.join(" ", args) + "' (only --config FILE)"));
        try {
            config = ConfigLoader.load(configFile);
        } catch (ConfigException e) {
            throw new DaemonInitException("keyinitd: " + e.getMessage());
        }
    }

    @Override
    public void start() throws Exception {
        if (config == null) {
            // A second start after stop (jsvc's SIGHUP restart): take the file as it is now.
            config = ConfigLoader.load(configFile);
        }
        Daemon d = new Daemon(config, Main.version());
        d.start();
        daemon = d;
    }

    @Override
    public void stop() {
        log.info("stopping (jsvc)");
        if (daemon != null) {
            daemon.close();
            daemon = null;
        }
        config = null;
    }

    @Override
    public void destroy() {
        // Nothing: stop() released everything.
    }
}
