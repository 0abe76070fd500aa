package org.keyinitd.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Rules that can never match: after a catch-all, naming an unknown user or group. */
class ConfigWarningsTest {
    private static final Path FILE = Path.of("/etc/keyinitd/keyinitd.toml");
    private static final ConfigWarnings.Names HOST = new ConfigWarnings.Names() {
        @Override
        public boolean userExists(String name) {
            return Set.of("root", "alice").contains(name);
        }

        @Override
        public boolean groupExists(String name) {
            return Set.of("root", "staff").contains(name);
        }
    };

    private static List<String> warnings(String toml) throws Exception {
        return ConfigWarnings.check(ConfigLoader.parse(FILE, toml), HOST);
    }

    @Test
    void aRuleAfterACatchAllIsReported() throws Exception {
        assertThat(warnings("""
                [[rule]]
                name = "everyone"
                create = "always"

                [[rule]]
                name = "ssh"
                match = { service = "sshd" }
                """)).containsExactly(FILE + ":5: rule \"ssh\": never matches: rule \"everyone\" (" + FILE
                + ":1) matches every login first");
    }

    @Test
    void aStarGlobIsACatchAllToo() throws Exception {
        assertThat(warnings("""
                [[rule]]
                name = "all"
                match = { user = "*" }
                [[rule]]
                name = "late"
                """)).singleElement().asString().contains("rule \"late\": never matches");
    }

    @Test
    void anUnknownGroupOrUserIsReported() throws Exception {
        assertThat(warnings("""
                [[rule]]
                name = "staff-ssh"
                match = { group = "stafff" }
                [[rule]]
                name = "some"
                match = { user = ["alice", "bobby", "svc-*"], group = ["staff", 0] }
                """)).containsExactly(
                FILE + ":1: rule \"staff-ssh\": match.group: no group 'stafff' on this host: the rule never matches",
                FILE + ":4: rule \"some\": match.user: no user 'bobby' on this host: that entry never matches");
    }

    @Test
    void aSoundPolicyHasNoWarnings() throws Exception {
        assertThat(warnings("""
                [[rule]]
                name = "staff-ssh"
                match = { group = "staff", service = "sshd" }
                [[rule]]
                name = "rest"
                """)).isEmpty();
    }

    @Test
    void theRealLookupKnowsRootAndNotANonsenseName() {
        assertThat(ConfigWarnings.NSS.userExists("root")).isTrue();
        assertThat(ConfigWarnings.NSS.groupExists("root")).isTrue();
        assertThat(ConfigWarnings.NSS.userExists("no-such-user-keyinitd")).isFalse();
        assertThat(ConfigWarnings.NSS.groupExists("no-such-group-keyinitd")).isFalse();
    }
}
