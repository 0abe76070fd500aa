package org.keyinitd.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PolicyTest {

    private static LoginContext login(String user, String service, boolean hasSessionKeyring, boolean force,
                                      boolean revoke, Set<String> groups) {
        return new LoginContext(service, user, 1001, Optional.of("pts/0"), Optional.of("10.1.2.3"), hasSessionKeyring,
                new ModuleArguments(force, revoke), () -> groups);
    }

    private static LoginContext login(boolean hasSessionKeyring, boolean force, boolean revoke) {
        return login("alice", "sshd", hasSessionKeyring, force, revoke, Set.of("alice"));
    }

    private static Actions actions(CreateMode create, RevokeMode revoke) {
        return new Actions(Optional.ofNullable(create), Optional.ofNullable(revoke), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), OptionalInt.empty(), OptionalInt.empty(), Optional.empty(),
                Optional.empty());
    }

    private static Match services(String... globs) {
        return new Match(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of(java.util.Arrays.stream(globs).map(Glob::compile).toList()),
                Optional.empty(), Optional.empty(), Optional.empty());
    }

    @Test
    void noRulesAndNoDefaultsBehaveLikePamKeyinit() {
        Policy p = Policy.followModule();
        assertThat(p.decide(login(false, false, false)).action()).isEqualTo(PolicyDecision.Action.CREATE);
        assertThat(p.decide(login(true, false, false)).action()).isEqualTo(PolicyDecision.Action.KEEP_EXISTING);
        assertThat(p.decide(login(true, true, false)).action()).isEqualTo(PolicyDecision.Action.CREATE);
        assertThat(p.decide(login(false, false, true)).revoke()).isEqualTo(RevokeMode.ALWAYS);
        assertThat(p.decide(login(false, false, false)).revoke()).isEqualTo(RevokeMode.NEVER);
        PolicyDecision d = p.decide(login(false, false, false));
        assertThat(d.rule()).isEqualTo("defaults");
        assertThat(d.linkUserKeyring()).isTrue();
        assertThat(d.linkPersistentKeyring()).isFalse();
        assertThat(d.owner()).isEqualTo(Owner.USER);
        assertThat(d.closeAction()).isEqualTo(CloseAction.REVOKE);
        assertThat(d.permissions()).isEqualTo(KeyPermissions.DEFAULT);
    }

    @Test
    void precedenceIsRuleThenDefaultsThenModuleArgumentThenBuiltIn() {
        Actions defaults = actions(null, RevokeMode.NEVER);
        Rule sshd = new Rule("sshd-always", services("sshd"), actions(CreateMode.ALWAYS, null));
        Policy p = new Policy(List.of(sshd), defaults);

        Policy.Explanation e = p.explain(login(true, false, true));
        assertThat(e.decision().action()).as("rule's create wins over the module").isEqualTo(PolicyDecision.Action.CREATE);
        assertThat(e.sources().get("create")).isEqualTo("rule sshd-always");
        assertThat(e.decision().revoke()).as("[defaults] wins over the module's revoke").isEqualTo(RevokeMode.NEVER);
        assertThat(e.sources().get("revoke")).isEqualTo("[defaults]");
        assertThat(e.sources().get("owner")).isEqualTo("built-in default");

        Policy.Explanation cron = p.explain(login("alice", "cron", true, true, false, Set.of()));
        assertThat(cron.rule()).isEmpty();
        assertThat(cron.decision().action()).as("no rule, no default: module force").isEqualTo(PolicyDecision.Action.CREATE);
        assertThat(cron.sources().get("create")).isEqualTo("module argument (force)");
        // A login's decision (no sources recorded) is --explain's.
        assertThat(p.decide(login(true, false, true))).isEqualTo(e.decision());
        assertThat(p.decide(login("alice", "cron", true, true, false, Set.of()))).isEqualTo(cron.decision());
    }

    @Test
    void firstMatchingRuleWins() {
        Rule never = new Rule("cron-keeps", services("cron"), actions(CreateMode.NEVER, null));
        Rule all = new Rule("everything", Match.ANY, actions(CreateMode.ALWAYS, RevokeMode.ALWAYS));
        Policy p = new Policy(List.of(never, all), Actions.NONE);
        assertThat(p.decide(login("svc", "cron", false, false, false, Set.of())).rule()).isEqualTo("cron-keeps");
        assertThat(p.decide(login("svc", "cron", false, false, false, Set.of())).action())
                .isEqualTo(PolicyDecision.Action.SKIP);
        assertThat(p.decide(login("alice", "sshd", false, false, false, Set.of())).rule()).isEqualTo("everything");
    }

    @Test
    void groupsAreResolvedOnlyWhenARuleAsks() {
        int[] lookups = {0};
        LoginContext counting = new LoginContext("sshd", "alice", 1001, Optional.empty(), Optional.empty(), false,
                ModuleArguments.NONE, () -> {
                    lookups[0]++;
                    return Set.of("staff");
                });
        Policy noGroups = new Policy(List.of(new Rule("ssh", services("sshd"), Actions.NONE)), Actions.NONE);
        noGroups.decide(counting);
        assertThat(lookups[0]).isZero();

        Match staff = new Match(Optional.empty(), Optional.of(List.of("staff")), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty());
        Policy byGroup = new Policy(List.of(new Rule("staff", staff, Actions.NONE)), Actions.NONE);
        assertThat(byGroup.decide(counting).rule()).isEqualTo("staff");
        assertThat(lookups[0]).isEqualTo(1);
    }

    @Test
    void everyConditionMustHold() {
        Match m = new Match(Optional.of(List.of(Glob.compile("a*"))), Optional.empty(),
                Optional.of(List.of(UidRange.parse("1000-1999"))), Optional.of(List.of(Glob.compile("sshd"))),
                Optional.of(List.of(Glob.compile("pts/*"))), Optional.of(List.of(HostPattern.parse("10.0.0.0/8"))),
                Optional.of(false));
        assertThat(m.matches(login(false, false, false))).isTrue();
        assertThat(m.matches(login(true, false, false))).as("has_session_keyring differs").isFalse();
        assertThat(m.matches(login("bob", "sshd", false, false, false, Set.of()))).as("user differs").isFalse();
        assertThat(m.matches(login("alice", "login", false, false, false, Set.of()))).as("service differs").isFalse();
        LoginContext noTty = new LoginContext("sshd", "alice", 1001, Optional.empty(), Optional.of("10.1.2.3"), false,
                ModuleArguments.NONE, Set::of);
        assertThat(m.matches(noTty)).as("a tty condition does not match a login without a tty").isFalse();
    }

    @Test
    void ttyRulesSeePamTtyWithoutDevAsLoginProgramsSendIt() {
        LoginContext su = new LoginContext("su", "alice", 1000, java.util.Optional.of("/dev/pts/3"),
                java.util.Optional.empty(), false, ModuleArguments.NONE, Set::of);
        assertThat(su.tty()).contains("pts/3");
        assertThat(Glob.compile("pts/*").matches(su.tty().orElseThrow())).isTrue();
        LoginContext sshd = new LoginContext("sshd", "alice", 1000, java.util.Optional.of("ssh"),
                java.util.Optional.empty(), false, ModuleArguments.NONE, Set::of);
        assertThat(sshd.tty()).contains("ssh");
    }
}
