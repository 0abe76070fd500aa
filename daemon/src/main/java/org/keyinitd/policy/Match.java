package org.keyinitd.policy;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiPredicate;

/**
 * A rule's conditions. Each present condition must hold (AND); a list matches when any of its
 * entries does (OR). No conditions at all matches every login.
 */
public record Match(
        Optional<List<Glob>> user,
        Optional<List<String>> group,
        Optional<List<UidRange>> uid,
        Optional<List<Glob>> service,
        Optional<List<Glob>> tty,
        Optional<List<HostPattern>> rhost,
        Optional<Boolean> hasSessionKeyring) {

    public static final Match ANY = new Match(Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());

    public boolean matches(LoginContext login) {
        // Plain loops: this runs for every rule at every login (no stream or capturing lambda per check).
        return (user.isEmpty() || any(user.get(), Glob::matches, login.user()))
                && (uid.isEmpty() || anyRange(uid.get(), login.uid()))
                && (service.isEmpty() || any(service.get(), Glob::matches, login.service()))
                && (tty.isEmpty() || login.tty().isPresent() && any(tty.get(), Glob::matches, login.tty().get()))
                && (rhost.isEmpty()
                        || login.rhost().isPresent() && any(rhost.get(), HostPattern::matches, login.rhost().get()))
                && (hasSessionKeyring.isEmpty() || hasSessionKeyring.get() == login.hasSessionKeyring())
                && (group.isEmpty() || inAnyGroup(group.get(), login));
    }

    /** Whether any pattern matches {@code value} (an unbound method reference: nothing allocated). */
    private static <P> boolean any(List<P> patterns, BiPredicate<P, String> matches, String value) {
        for (P p : patterns) {
            if (matches.test(p, value)) {
                return true;
            }
        }
        return false;
    }

    private static boolean anyRange(List<UidRange> ranges, long uid) {
        for (UidRange r : ranges) {
            if (r.contains(uid)) {
                return true;
            }
        }
        return false;
    }

    private static boolean inAnyGroup(List<String> wanted, LoginContext login) {
        Set<String> groups = login.groups().get(); // resolved through NSS only when a rule asks
        for (String g : wanted) {
            if (groups.contains(g)) {
                return true;
            }
        }
        return false;
    }
}
