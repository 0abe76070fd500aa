package org.keyinitd.launcher;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.keyinitd.ctl.Ctl;
import org.keyinitd.config.Config;
import org.keyinitd.config.ConfigException;
import org.keyinitd.config.ConfigLoader;
import org.keyinitd.config.ConfigWarnings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import java.util.List;
import org.keyinitd.linux.InheritedSignals;
import sun.misc.Signal;

/** {@code keyinitd}: runs the daemon in the foreground until SIGTERM or SIGINT; SIGHUP reloads policy. */
@Command(name = "keyinitd", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Creates, tracks and revokes session keyrings for pam_keyinitd.so logins.",
            "Runs in the foreground until SIGTERM or SIGINT; SIGHUP re-reads the configuration."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:stopped cleanly; or --check-config found no mistake; or --explain printed its answer",
            "1:could not start (socket, audit log, keyrings)",
            "2:usage error",
            "3:configuration error (the message names file, line and field)"})
public final class Main implements Callable<Integer> {
    static final int EXIT_START_FAILED = 1;
    static final int EXIT_USAGE = 2;
    static final int EXIT_CONFIG = 3;

    // No static Logger: `keyinitd.jar ctl` starts here too, and initializing Logback (reading
    // logback.xml) would cost keyinitctl a tenth of a second for nothing.
    private static Logger log() {
        return LoggerFactory.getLogger(Main.class);
    }

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "configuration file (default: ${DEFAULT-VALUE})")
    Path config = Config.DEFAULT_FILE;

    @Option(names = "--check-config", description = "validate the configuration file and exit")
    boolean checkConfig;

    @Option(names = "--explain", arity = "1..*", paramLabel = "KEY=VALUE",
            description = {"show which rule a login would match and what it would get, e.g.",
                "--explain user=alice service=sshd tty=pts/1 rhost=10.0.0.5",
                "keys: user (required), uid, groups (a,b,...), service (default login), tty, rhost,",
                "has_session_keyring, force, revoke (module arguments; true/false or bare)"})
    List<String> explain;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("ctl")) {
            // `keyinitd.jar ctl ...` is keyinitctl: one jar, two programs.
            System.exit(Ctl.run(java.util.Arrays.copyOfRange(args, 1, args.length)));
        }
        NativePreload.start();
        java.util.Optional<Path> daemonConfig = ConfigArgument.parse(args);
        if (daemonConfig.isPresent()) {
            Main main = new Main();
            main.config = daemonConfig.get();
            System.exit(main.runDaemon(new PrintWriter(System.err, true)));
        }
        System.exit(new CommandLine(new Main()).execute(args));
    }

    /** Loads the configuration and runs the daemon until it is told to stop; the exit code. */
    private int runDaemon(PrintWriter err) {
        Config cfg = loadConfig(err);
        return cfg == null ? EXIT_CONFIG : run(cfg, err);
    }

    /** The configuration {@code --config} names, or null once {@code err} says what is wrong with it. */
    private Config loadConfig(PrintWriter err) {
        try {
            return ConfigLoader.load(config);
        } catch (ConfigException e) {
            err.println("keyinitd: " + e.getMessage());
            err.flush();
            return null;
        }
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!checkConfig && explain == null) {
            return runDaemon(err);
        }
        Config cfg = loadConfig(err);
        if (cfg == null) {
            return EXIT_CONFIG;
        }
        if (checkConfig) {
            out.println(ConfigLoader.summary(cfg));
            out.flush();
            for (String warning : ConfigWarnings.check(cfg, ConfigWarnings.NSS)) {
                err.println("keyinitd: warning: " + warning);
            }
            err.flush();
            return 0;
        }
        try {
            Explainer.explain(cfg, explain, out);
            return 0;
        } catch (Explainer.UsageException e) {
            err.println("keyinitd: " + e.getMessage());
            err.flush();
            return EXIT_USAGE;
        }
    }

    private int run(Config cfg, PrintWriter err) {
        Daemon daemon = new Daemon(cfg, version());
        // TERM and INT are handled here rather than by the JVM's shutdown, so that a requested
        // stop finishes in-flight work and exits 0 (the JVM would exit 143 / 130). Installed
        // before the start: "ready" (and systemd's READY=1) is said inside it, and a signal sent
        // on seeing it must not find the JVM's default action (SIGTERM 143, SIGHUP death).
        List<String> wereIgnored = InheritedSignals.unignore();
        if (!wereIgnored.isEmpty()) {
            log().info("signals ignored by the parent process restored to their default action: {}", wereIgnored);
        }
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), sig -> stop.countDown());
        Signal.handle(new Signal("INT"), sig -> stop.countDown());
        Signal.handle(new Signal("HUP"), sig -> daemon.reload());
        Signal.handle(new Signal("USR1"), sig -> daemon.reopenLogs());
        try {
            daemon.start();
        } catch (Exception e) {
            err.println("keyinitd: cannot start: " + e.getMessage());
            err.flush();
            return EXIT_START_FAILED;
        }
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log().info("stopping on signal");
        daemon.close();
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
