package org.keyinitd.policy;

import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Everything policy may look at for one login. {@code groups} is resolved lazily (names and
 * numeric gids of the user's primary and supplementary groups), so logins that no group rule
 * looks at cost no NSS lookup.
 */
public record LoginContext(
        String service,
        String user,
        long uid,
        Optional<String> tty,
        Optional<String> rhost,
        boolean hasSessionKeyring,
        ModuleArguments moduleArguments,
        Supplier<Set<String>> groups) {

    /**
     * tty as rules see it: PAM_TTY with a leading {@code /dev/} removed, so {@code "pts/*"}
     * matches what su, sudo and login pass ({@code /dev/pts/3}); sshd passes {@code ssh} and cron
     * {@code cron}, which stay as they are.
     */
    public LoginContext {
        tty = tty.map(t -> t.startsWith("/dev/") ? t.substring("/dev/".length()) : t);
    }
}
