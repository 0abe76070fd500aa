package org.keyinitd.launcher;

import java.nio.file.Path;
import java.util.Optional;
import org.keyinitd.config.Config;

/**
 * The one command line the launchers pass to run the daemon: nothing, {@code --config FILE},
 * {@code -c FILE} or {@code --config=FILE}. jsvc's entry point takes no other; {@link Main}
 * runs the daemon straight from it, without building its picocli model (a tenth of a second
 * of a start), and leaves every other command line to picocli.
 */
final class ConfigArgument {
    private ConfigArgument() {
    }

    /** The configuration file these arguments name, or empty if they are anything else. */
    static Optional<Path> parse(String[] args) {
        if (args.length == 0) {
            return Optional.of(Config.DEFAULT_FILE);
        }
        if (args.length == 1 && args[0].startsWith("--config=") && args[0].length() > "--config=".length()) {
            return Optional.of(Path.of(args[0].substring("--config=".length())));
        }
        if (args.length == 2 && (args[0].equals("--config") || args[0].equals("-c")) && !args[1].startsWith("-")) {
            return Optional.of(Path.of(args[1]));
        }
        return Optional.empty();
    }
}
