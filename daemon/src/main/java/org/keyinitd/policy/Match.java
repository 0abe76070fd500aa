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
        return user.map(g -> g.stream().anyMatch(p -> p.matches(login.user()))).orElse(true)
                && uid.map(r -> r.stream().anyMatch(u -> u.contains(login.uid()))).orElse(true)
                && service.map(g -> g.stream().anyMatch(p -> p.matches(login.service()))).orElse(true)
                && tty.map(g -> login.tty().map(t -> g.stream().anyMatch(p -> p.matches(t))).orElse(false)).orElse(true)
                && rhost.map(h -> login.rhost().map(r -> h.stream().anyMatch(p -> p.matches(r))).orElse(false)).orElse(true)
                && hasSessionKeyring.map(b -> b == login.hasSessionKeyring()).orElse(true)
                && group.map(this::inAnyGroup).map(f -> f.test(login)).orElse(true);
    }

    private java.util.function.Predicate<LoginContext> inAnyGroup(List<String> wanted) {
        return login -> {
            Set<String> groups = login.groups().get(); // resolved through NSS only when a rule asks
            return wanted.stream().anyMatch(groups::contains);
        };
    }
}
