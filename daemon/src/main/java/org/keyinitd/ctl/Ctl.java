package org.keyinitd.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.keyinitd.config.Config;
import org.keyinitd.config.ConfigException;
import org.keyinitd.config.ConfigLoader;
import org.keyinitd.config.ConfigWarnings;
import org.keyinitd.protocol.Field;
import org.keyinitd.protocol.Fields;
import org.keyinitd.protocol.Op;
import org.keyinitd.protocol.Reply;
import org.keyinitd.protocol.Status;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code keyinitctl}: the admin CLI. Talks to the daemon over its socket; root only. */
@Command(name = "keyinitctl", mixinStandardHelpOptions = true, versionProvider = Ctl.Version.class,
        description = "Shows and controls the keyinitd daemon: live sessions, revocation, reload.",
        subcommands = {Ctl.StatusCmd.class, Ctl.SessionsCmd.class, Ctl.ShowCmd.class, Ctl.RevokeCmd.class,
            Ctl.ReloadCmd.class,
            Ctl.CheckConfigCmd.class, Ctl.CdsTrainingCmd.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:done",
            "1:keyinitd refused or failed (the message says why; e.g. permission denied)",
            "2:usage error",
            "3:check-config found a mistake",
            "4:keyinitd could not be reached"})
public final class Ctl {
    static final int EXIT_REFUSED = 1;
    static final int EXIT_CONFIG = 3;
    static final int EXIT_UNREACHABLE = 4;
    static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", scope = CommandLine.ScopeType.INHERIT,
            description = "daemon configuration, for the socket path (default: ${DEFAULT-VALUE})")
    Path config = Config.DEFAULT_FILE;

    @Option(names = "--socket", paramLabel = "PATH", scope = CommandLine.ScopeType.INHERIT,
            description = "daemon socket (default: the config file's, else " + "/run/keyinitd/keyinitd.sock)")
    Path socket;

    @Option(names = "--timeout", paramLabel = "MS", scope = CommandLine.ScopeType.INHERIT, defaultValue = "5000",
            description = "how long to wait for the daemon (default: ${DEFAULT-VALUE})")
    int timeoutMillis;

    public static int run(String[] args) {
        return new CommandLine(new Ctl()).execute(args);
    }

    /** The configuration named by -c (or the default file, when it exists) is broken or missing. */
    static final class BadConfigException extends Exception {
        BadConfigException(String message) {
            super(message);
        }
    }

    /**
     * {@code --socket}, else the socket of the configuration: the file given with {@code -c} (which
     * must exist and be valid), else the default file if there is one, else the default socket.
     * A broken file is an error, never a silent switch to the default daemon.
     */
    Path socketPath() throws BadConfigException {
        if (socket != null) {
            return socket;
        }
        boolean given = !config.equals(Config.DEFAULT_FILE);
        if (!Files.exists(config)) {
            if (given) {
                throw new BadConfigException("configuration file " + config + " does not exist");
            }
            return Config.DEFAULT_SOCKET;
        }
        try {
            return ConfigLoader.load(config).socket();
        } catch (ConfigException e) {
            throw new BadConfigException("cannot use configuration " + config + ": " + e.getMessage()
                    + " (fix it, or name the daemon with --socket)");
        }
    }

    /** Sends one admin request and turns the outcome into output and an exit status. */
    int call(CommandLine.Model.CommandSpec spec, Op op, Fields fields, ReplyPrinter printer) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Reply reply;
        Path target;
        try {
            target = socketPath();
        } catch (BadConfigException e) {
            err.println("keyinitctl: " + e.getMessage());
            err.flush();
            return EXIT_CONFIG;
        }
        try {
            reply = new AdminClient(target, timeoutMillis).call(op, fields);
        } catch (AdminClient.UnreachableException e) {
            err.println("keyinitctl: " + e.getMessage());
            err.flush();
            return EXIT_UNREACHABLE;
        }
        if (reply.status() != Status.OK) {
            err.println("keyinitctl: " + reply.message());
            err.flush();
            return EXIT_REFUSED;
        }
        int status;
        try {
            status = printer.print(reply, out);
        } catch (Exception e) {
            err.println("keyinitctl: cannot read the daemon's reply: " + e.getMessage());
            err.flush();
            return EXIT_REFUSED;
        }
        out.flush();
        return status;
    }

    /** Prints an OK reply; returns the exit status. */
    @FunctionalInterface
    interface ReplyPrinter {
        int print(Reply reply, PrintWriter out) throws Exception;
    }

    static JsonNode data(Reply reply) throws Exception {
        return JSON.readTree(reply.fields().string(Field.DATA).orElse("null"));
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Version, uptime, configuration, sessions, counters and request latencies.")
    static final class StatusCmd implements Callable<Integer> {
        @ParentCommand
        Ctl ctl;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Option(names = "--json", description = "print the daemon's JSON document")
        boolean json;

        @Override
        public Integer call() {
            return ctl.call(spec, Op.STATUS, Fields.empty(), (reply, out) -> {
                JsonNode s = data(reply);
                if (json) {
                    out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(s));
                } else {
                    Output.status(s, out);
                }
                return 0;
            });
        }
    }

    @Command(name = "sessions", mixinStandardHelpOptions = true, description = "The live sessions, oldest first.")
    static final class SessionsCmd implements Callable<Integer> {
        @ParentCommand
        Ctl ctl;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Option(names = "--user", paramLabel = "USER", description = "only this user's sessions")
        String user;
        @Option(names = "--json", description = "a JSON array, for scripts")
        boolean json;

        @Override
        public Integer call() {
            Fields f = user == null ? Fields.empty() : Fields.builder().put(Field.USER, user).build();
            return ctl.call(spec, Op.SESSIONS, f, (reply, out) -> {
                JsonNode list = data(reply);
                if (json) {
                    out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(list));
                } else {
                    Output.sessions(list, out);
                }
                return 0;
            });
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = {"One live session in full: its keyring's keys (type and description, never payloads),",
                "permissions, expiry and holders, the rule that decided, and the session's audit lines."})
    static final class ShowCmd implements Callable<Integer> {
        @ParentCommand
        Ctl ctl;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Parameters(paramLabel = "SESSION", description = "the session id (keyinitctl sessions lists them)")
        String session;
        @Option(names = "--json", description = "a JSON document, for scripts")
        boolean json;

        @Override
        public Integer call() {
            return ctl.call(spec, Op.SHOW, Fields.builder().put(Field.SESSION_ID, session).build(), (reply, out) -> {
                JsonNode doc = data(reply);
                if (json) {
                    out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(doc));
                } else {
                    Output.show(doc, out);
                }
                return 0;
            });
        }
    }

    /** Exactly one of the three targets. */
    static final class Target {
        @Option(names = "--session", paramLabel = "ID", required = true, description = "one session")
        String session;
        @Option(names = "--user", paramLabel = "USER", required = true, description = "every live session of a user")
        String user;
        @Option(names = "--all", required = true, description = "every live session")
        boolean all;
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = {"Revokes session keyrings now: every key in them dies for every process.",
                "Revoked sessions stay listed (state revoked) until they close. Audited with the reason",
                "and your uid and pid."})
    static final class RevokeCmd implements Callable<Integer> {
        @ParentCommand
        Ctl ctl;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @ArgGroup(exclusive = true, multiplicity = "1")
        Target target;
        @Option(names = "--reason", paramLabel = "TEXT", description = "why, for the audit trail")
        String reason;

        @Override
        public Integer call() {
            Fields.Builder f = Fields.builder();
            if (target.session != null) {
                f.put(Field.SESSION_ID, target.session);
            } else if (target.user != null) {
                f.put(Field.USER, target.user);
            } else {
                f.put(Field.ALL, true);
            }
            if (reason != null) {
                f.put(Field.REASON, reason);
            }
            return ctl.call(spec, Op.REVOKE, f.build(), (reply, out) -> {
                JsonNode r = data(reply);
                List<String> ids = new ArrayList<>();
                r.path("revoked").forEach(n -> ids.add(n.asText()));
                out.printf("revoked %d session%s%s%n", ids.size(), ids.size() == 1 ? "" : "s",
                        ids.isEmpty() ? "" : ": " + String.join(" ", ids));
                if (r.path("failed").size() > 0) {
                    out.printf("FAILED to revoke %d: %s (see the daemon log)%n", r.path("failed").size(), r.path("failed"));
                    return EXIT_REFUSED;
                }
                return 0;
            });
        }
    }

    @Command(name = "reload", mixinStandardHelpOptions = true,
            description = "Re-reads the daemon's configuration; a file with a mistake is rejected and the running policy kept.")
    static final class ReloadCmd implements Callable<Integer> {
        @ParentCommand
        Ctl ctl;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            return ctl.call(spec, Op.RELOAD, Fields.empty(), (reply, out) -> {
                out.println(reply.message());
                return 0;
            });
        }
    }

    @Command(name = "check-config", mixinStandardHelpOptions = true,
            description = "Validates a configuration file (default: the --config file) without the daemon.")
    static final class CheckConfigCmd implements Callable<Integer> {
        @ParentCommand
        Ctl ctl;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Parameters(arity = "0..1", paramLabel = "FILE")
        Path file;

        @Override
        public Integer call() {
            Path f = file != null ? file : ctl.config;
            try {
                Config c = ConfigLoader.load(f);
                spec.commandLine().getOut().println(ConfigLoader.summary(c));
                spec.commandLine().getOut().flush();
                for (String warning : ConfigWarnings.check(c, ConfigWarnings.NSS)) {
                    spec.commandLine().getErr().println("keyinitctl: warning: " + warning);
                }
                spec.commandLine().getErr().flush();
                return 0;
            } catch (ConfigException e) {
                spec.commandLine().getErr().println("keyinitctl: " + e.getMessage());
                spec.commandLine().getErr().flush();
                return EXIT_CONFIG;
            }
        }
    }

    /**
     * Not for people: the run that records which classes go into keyinitctl's class-data-sharing
     * archive ({@code java -XX:ArchiveClassesAtExit=... -jar keyinitd.jar ctl cds-training}, done by
     * the build and by the package's postinst). It goes through what a real call does without a
     * daemon: options, the configuration file, a request to a socket that is not there, and the
     * JSON and text output of sample replies. Output is discarded; always exits 0.
     */
    @Command(name = "cds-training", hidden = true)
    static final class CdsTrainingCmd implements Callable<Integer> {
        @ParentCommand
        Ctl ctl;

        @Override
        public Integer call() {
            PrintWriter sink = new PrintWriter(java.io.Writer.nullWriter());
            try {
                if (Files.exists(ctl.config)) {
                    ConfigWarnings.check(ConfigLoader.load(ctl.config), ConfigWarnings.NSS);
                } else {
                    ConfigLoader.parse(ctl.config, "[[rule]]\nname = \"r\"\nmatch = { user = \"a*\", uid = \"1000-2000\","
                            + " rhost = \"10.0.0.0/8\" }\n");
                }
            } catch (Exception e) {
                // the classes are loaded either way
            }
            try {
                new AdminClient(Path.of("/nonexistent/keyinitd-cds-training.sock"), 100).call(Op.STATUS, Fields.empty());
            } catch (Exception e) {
                // expected: no socket
            }
            try {
                JsonNode status = JSON.readTree("{\"version\":\"0\",\"pid\":1,\"uptime_seconds\":1,\"sessions\":{},"
                        + "\"counters\":{},\"latency\":{\"open\":{},\"close\":{}}}");
                sink.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(status));
                Output.status(status, sink);
                Output.sessions(JSON.readTree("[{\"session\":\"0\",\"user\":\"u\",\"uid\":1,\"pid\":1,"
                        + "\"keyring\":1,\"state\":\"open\",\"age_seconds\":1}]"), sink);
            } catch (Exception e) {
                // a sample the printers do not like still loaded their classes
            }
            new CommandLine(new Ctl()).setOut(sink).setErr(sink).execute("--help");
            return 0;
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Ctl.class.getPackage().getImplementationVersion();
            return new String[] {"keyinitctl " + (v == null ? "dev" : v)};
        }
    }
}
