package org.keyinitd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.keyinitd.policy.CloseAction;
import org.keyinitd.policy.KeyPermissions;
import org.keyinitd.policy.LoginContext;
import org.keyinitd.policy.Owner;
import org.keyinitd.policy.PolicyDecision;
import org.keyinitd.policy.RevokeMode;
import org.keyinitd.policy.Rule;
import org.keyinitd.policy.ModuleArguments;

/** Rules in the file: how they read, and one test per kind of mistake. */
class ConfigRulesTest {
    private static final Path FILE = Path.of("/etc/keyinitd/keyinitd.toml");

    @Test
    void rulesReadInOrderWithInlineAndSubtableMatches() throws Exception {
        Config c = ConfigLoader.parse(FILE, """
                [defaults]
                revoke = true

                [[rule]]
                name = "staff-ssh"
                match = { service = "sshd", group = ["staff", "wheel"], rhost = ["10.0.0.0/8", "*.corp"] }
                create = "always"
                link_persistent_keyring = true
                close_action = "invalidate"

                [[rule]]
                name = "services"
                create = "never"
                revoke = false
                [rule.match]
                uid = ["100-999", 0]
                service = "cron"

                [[rule]]
                revoke = "when-unused"
                owner = "root"
                permissions = "0x3f0b0000"
                max_sessions_per_user = 5
                """);
        assertThat(c.policy().rules()).extracting(Rule::name).containsExactly("staff-ssh", "services", "rule[3]");
        Rule third = c.policy().rules().get(2);
        assertThat(third.actions().revoke()).contains(RevokeMode.WHEN_UNUSED);
        assertThat(third.actions().owner()).contains(Owner.ROOT);
        assertThat(third.actions().permissions()).hasValue(0x3f0b0000);
        assertThat(third.actions().maxSessionsPerUser()).hasValue(5);

        PolicyDecision staff = c.policy().decide(login("alice", 1000, "sshd", "10.9.8.7", Set.of("wheel")));
        assertThat(staff.rule()).isEqualTo("staff-ssh");
        assertThat(staff.action()).isEqualTo(PolicyDecision.Action.CREATE);
        assertThat(staff.linkPersistentKeyring()).isTrue();
        assertThat(staff.closeAction()).isEqualTo(CloseAction.INVALIDATE);
        assertThat(staff.revoke()).as("from [defaults]").isEqualTo(RevokeMode.ALWAYS);

        assertThat(c.policy().decide(login("daemon", 1, "cron", null, Set.of())).rule()).isEqualTo("rule[3]");
        assertThat(c.policy().decide(login("backup", 150, "cron", null, Set.of())).rule()).isEqualTo("services");
        assertThat(c.policy().decide(login("root", 0, "cron", null, Set.of())).action())
                .isEqualTo(PolicyDecision.Action.SKIP);
    }

    private static LoginContext login(String user, long uid, String service, String rhost, Set<String> groups) {
        return new LoginContext(service, user, uid, Optional.of("pts/1"), Optional.ofNullable(rhost), false,
                ModuleArguments.NONE, () -> groups);
    }

    @Test
    void unknownKeyInARule() {
        assertError("""
                [[rule]]
                name = "a"
                crate = "always"
                """, 3, "rule[1].crate", "unknown key 'crate'");
    }

    @Test
    void unknownConditionInAnInlineMatch() {
        assertError("""
                [[rule]]
                name = "a"
                match = { servce = "sshd" }
                """, 3, "rule[1].match.servce", "unknown key 'servce'");
    }

    @Test
    void unknownConditionInAMatchSubtable() {
        assertError("""
                [[rule]]
                name = "a"
                [[rule]]
                name = "b"
                [rule.match]
                service = "sshd"
                hots = "x"
                """, 7, "rule[2].match.hots", "unknown key 'hots'");
    }

    @Test
    void badCidr() {
        assertError("""
                [[rule]]
                match = { rhost = "10.0.0.0/40" }
                """, 2, "rule[1].match.rhost", "prefix length must be 0-32");
    }

    @Test
    void badGlob() {
        assertError("""
                [[rule]]
                match.tty = "tty[12"
                """, 2, "rule[1].match.tty", "unclosed '['");
    }

    @Test
    void badUidRange() {
        assertError("""
                [[rule]]
                match = { uid = "1000-" }
                """, 2, "rule[1].match.uid", "not a uid or a range");
    }

    @Test
    void emptyConditionList() {
        assertError("""
                [[rule]]
                match = { user = [] }
                """, 2, "rule[1].match.user", "empty list matches nothing");
    }

    @Test
    void badRevokeValue() {
        assertError("""
                [[rule]]
                revoke = "later"
                """, 2, "rule[1].revoke", "not one of true, false, \"when-unused\"");
    }

    @Test
    void badOwner() {
        assertError("""
                [[rule]]
                owner = "nobody"
                """, 2, "rule[1].owner", "not one of user, root");
    }

    @Test
    void badCloseAction() {
        assertError("""
                [defaults]
                close_action = "unlink"
                """, 2, "defaults.close_action", "not one of revoke, invalidate");
    }

    @Test
    void permissionsWithoutOwnerSearchCannotBeJoined() {
        assertError("""
                [[rule]]
                permissions = "0x3f030000"
                """, 2, "rule[1].permissions", "takes SEARCH from the owner");
    }

    @Test
    void permissionsWithGroupOrOtherRightsLeak() {
        assertError("""
                [[rule]]
                permissions = "0x3f0b0008"
                """, 2, "rule[1].permissions", "group or other");
    }

    @Test
    void permissionsTheDaemonCouldNotRevoke() {
        assertError("""
                [[rule]]
                permissions = "0x0b0b0000"
                """, 2, "rule[1].permissions", "could not revoke");
    }

    @Test
    void permissionsNotHex() {
        assertError("""
                [[rule]]
                permissions = "rwx"
                """, 2, "rule[1].permissions", "8-digit hex");
    }

    @Test
    void negativeSessionLimit() {
        assertError("""
                [[rule]]
                max_sessions_per_user = -1
                """, 2, "rule[1].max_sessions_per_user", "0 (no limit) or more");
    }

    @Test
    void duplicateRuleName() {
        assertError("""
                [[rule]]
                name = "x"
                [[rule]]
                name = "x"
                """, 4, "rule[2].name", "already the name of an earlier rule");
    }

    @Test
    void matchThatIsNotATable() {
        assertError("""
                [[rule]]
                match = "sshd"
                """, 2, "rule[1].match", "expected a table");
    }

    @Test
    void wrongTypeForABooleanAction() {
        assertError("""
                [[rule]]
                link_user_keyring = "yes"
                """, 2, "rule[1].link_user_keyring", "true or false");
    }

    @Test
    void defaultPermissionsPassTheirOwnValidation() {
        assertThat(KeyPermissions.parse(KeyPermissions.hex(KeyPermissions.DEFAULT))).isEqualTo(KeyPermissions.DEFAULT);
    }

    private static void assertError(String toml, int line, String field, String reason) {
        assertThatThrownBy(() -> ConfigLoader.parse(FILE, toml))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.field()).as("field").isEqualTo(field);
                    assertThat(e.line()).as("line").isEqualTo(line);
                    assertThat(e.reason()).as("reason").contains(reason);
                });
    }
}
