package org.keyinitd.policy;

import java.util.List;
import java.util.Optional;
import java.util.Set;

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
        // Plain loops: this runs for every rule at every login (no stream or lambda per check).
        return (user.isEmpty() || anyGlob(user.get(), login.user()))
                && (uid.isEmpty() || anyRange(uid.get(), login.uid()))
                && (service.isEmpty() || anyGlob(service.get(), login.service()))
                && (tty.isEmpty() || login.tty().isPresent() && anyGlob(tty.get(), login.tty().get()))
                && (rhost.isEmpty() || login.rhost().isPresent() && anyHost(rhost.get(), login.rhost().get()))
                && (hasSessionKeyring.isEmpty() || hasSessionKeyring.get() == login.hasSessionKeyring())
                && (group.isEmpty() || inAnyGroup(group.get(), login));
    }

    private static boolean anyGlob(List<Glob> globs, String value) {
        for (Glob g : globs) {
            if (g.matches(value)) {
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

    private static boolean anyHost(List<HostPattern> hosts, String rhost) {
        for (HostPattern h : hosts) {
            if (h.matches(rhost)) {
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
