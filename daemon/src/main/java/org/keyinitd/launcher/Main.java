package org.keyinitd.launcher;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.keyinitd.config.Config;
import org.keyinitd.config.ConfigException;
import org.keyinitd.config.ConfigLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code keyinitd}: runs the daemon in the foreground until SIGTERM or SIGINT. */
@Command(name = "keyinitd", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Creates, tracks and revokes session keyrings for pam_keyinitd.so logins.",
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:stopped cleanly (SIGTERM/SIGINT)",
            "1:could not start (socket, audit log, keyrings)",
            "2:usage error",
            "3:configuration error (the message names file, line and field)"})
public final class Main implements Callable<Integer> {
    static final int EXIT_START_FAILED = 1;
    static final int EXIT_CONFIG = 3;

    private static final Logger log = LoggerFactory.getLogger(Main.class);

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "configuration file (default: ${DEFAULT-VALUE})")
    Path config = Config.DEFAULT_FILE;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public Integer call() {
        Config cfg;
        try {
            cfg = ConfigLoader.load(config);
        } catch (ConfigException e) {
            System.err.println("keyinitd: " + e.getMessage());
            return EXIT_CONFIG;
        }
        Daemon daemon = new Daemon(cfg, version());
        try {
            daemon.start();
        } catch (Exception e) {
            System.err.println("keyinitd: cannot start: " + e.getMessage());
            return EXIT_START_FAILED;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("stopping on signal");
            daemon.close();
            stopped.countDown();
        }, "shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** Reports the version recorded in the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"keyinitd " + version()};
        }
    }
}
