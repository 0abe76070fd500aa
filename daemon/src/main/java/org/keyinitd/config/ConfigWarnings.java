package org.keyinitd.config;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.keyinitd.policy.Glob;
import org.keyinitd.policy.Match;
import org.keyinitd.policy.Rule;

/**
 * Rules that are valid but can never match, or never through some entry: a rule after a rule
 * that matches every login, a user or group name this host does not know. Warnings, not
 * errors: a group may be created after the policy is written, and the file is still usable.
 * {@code --check-config} prints them, the daemon logs them at start and at each reload.
 */
public final class ConfigWarnings {
    /** The host's users and groups; {@link #NSS} asks the system (getpwnam, getgrnam). */
    public interface Names {
        boolean userExists(String name);

        boolean groupExists(String name);
    }

    /**
     * Through the JDK's own lookups (getpwnam_r and getgrnam_r, so NSS: files, LDAP, sssd...),
     * no native code of ours. A lookup that fails for another reason than "no such name"
     * counts as existing: no warning rather than a wrong one.
     */
    public static final Names NSS = new Names() {
        private final UserPrincipalLookupService lookup = FileSystems.getDefault().getUserPrincipalLookupService();

        @Override
        public boolean userExists(String name) {
            try {
                lookup.lookupPrincipalByName(name);
                return true;
            } catch (UserPrincipalNotFoundException e) {
                return false;
            } catch (IOException e) {
                return true;
            }
        }

        @Override
        public boolean groupExists(String name) {
            try {
                lookup.lookupPrincipalByGroupName(name);
                return true;
            } catch (UserPrincipalNotFoundException e) {
                return false;
            } catch (IOException e) {
                return true;
            }
        }
    };

    private ConfigWarnings() {
    }

    /** One line per warning: {@code FILE:LINE: rule "NAME": what}. */
    public static List<String> check(Config config, Names names) {
        List<String> out = new ArrayList<>();
        List<Rule> rules = config.policy().rules();
        Optional<Integer> catchAll = Optional.empty();
        for (int i = 0; i < rules.size(); i++) {
            Rule r = rules.get(i);
            String at = origin(config, i) + ": rule \"" + r.name() + "\": ";
            if (catchAll.isPresent()) {
                int c = catchAll.get();
                out.add(at + "never matches: rule \"" + rules.get(c).name() + "\" (" + origin(config, c)
                        + ") matches every login first");
                continue;
            }
            Match m = r.match();
            m.user().ifPresent(users -> {
                List<String> unknown = users.stream().map(Glob::toString).filter(ConfigWarnings::literal)
                        .filter(u -> !names.userExists(u)).toList();
                unknown.forEach(u -> out.add(at + "match.user: no user '" + u + "' on this host"
                        + (unknown.size() == users.size() ? ": the rule never matches" : ": that entry never matches")));
            });
            m.group().ifPresent(groups -> {
                List<String> unknown = groups.stream().filter(g -> !g.matches("[0-9]+"))
                        .filter(g -> !names.groupExists(g)).toList();
                unknown.forEach(g -> out.add(at + "match.group: no group '" + g + "' on this host"
                        + (unknown.size() == groups.size() ? ": the rule never matches" : ": that entry never matches")));
            });
            if (matchesEveryLogin(m)) {
                catchAll = Optional.of(i);
            }
        }
        return out;
    }

    /** No condition at all, or only user/service globs that are exactly "*". */
    static boolean matchesEveryLogin(Match m) {
        return m.group().isEmpty() && m.uid().isEmpty() && m.tty().isEmpty() && m.rhost().isEmpty()
                && m.hasSessionKeyring().isEmpty()
                && m.user().map(ConfigWarnings::hasStar).orElse(true)
                && m.service().map(ConfigWarnings::hasStar).orElse(true);
    }

    private static boolean hasStar(List<Glob> globs) {
        return globs.stream().anyMatch(g -> g.toString().equals("*"));
    }

    private static boolean literal(String glob) {
        return glob.chars().noneMatch(ch -> ch == '*' || ch == '?' || ch == '[');
    }

    private static String origin(Config config, int rule) {
        List<Origin> origins = config.sources().rules();
        return rule < origins.size() ? origins.get(rule).toString() : config.file().toString();
    }
}
