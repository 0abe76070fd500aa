package org.keyinitd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * One test per row of docs/configuration.md, "Mistakes and their messages": the exact line an
 * admin sees for each class of mistake (file, line, key, what was expected).
 */
class ConfigMistakesTest {
    private static final Path FILE = Path.of("/etc/keyinitd/keyinitd.toml");

    @Test
    void aQuotedNumberIsNotAnInteger() {
        assertMessage("""
                [defaults]
                max_sessions_per_user = "5"
                """, FILE + ":2: defaults.max_sessions_per_user: expected an integer, got the string \"5\""
                + " (write 5 without quotes)");
        assertMessage("""
                [limits]
                max_connections = "256"
                """, FILE + ":2: limits.max_connections: expected an integer, got the string \"256\""
                + " (write 256 without quotes)");
    }

    @Test
    void aFloatIsNotAnIntegerAndIsShownAsWritten() {
        assertMessage("""
                [limits]
                idle_timeout_ms = 5000.9
                """, FILE + ":2: limits.idle_timeout_ms: expected an integer, got the float 5000.9");
        assertMessage("""
                [limits]

                idle_timeout_ms = 5.5
                """, FILE + ":3: limits.idle_timeout_ms: expected an integer, got the float 5.5");
    }

    @Test
    void anIntegerIsNotAGlob() {
        assertMessage("""
                [[rule]]
                match = { user = 5 }
                """, FILE + ":2: rule[1].match.user: expected a glob (a string) or an array of them,"
                + " got the integer 5");
        assertMessage("""
                [[rule]]
                match = { service = ["sshd", 22] }
                """, FILE + ":2: rule[1].match.service: expected a glob (a string) or an array of them,"
                + " got the integer 22");
    }

    @Test
    void aStringIsNotABoolean() {
        assertMessage("""
                [audit]
                syslog = "true"
                """, FILE + ":2: audit.syslog: expected true or false, got the string \"true\"");
    }

    @Test
    void outOfRangeShowsTheValueAndTheRange() {
        assertMessage("""
                [limits]
                idle_timeout_ms = 5
                """, FILE + ":2: limits.idle_timeout_ms: must be between 100 and 3600000, got 5");
    }

    @Test
    void aSingleRuleTableInsteadOfAnArrayOfTables() {
        assertMessage("""
                # policy
                [rule]
                name = "ops"
                """, FILE + ":2: rule: [rule] is a single table; each rule is written [[rule]] (an array of tables)");
    }

    @Test
    void aSingleRuleTableMixedWithRealRules() {
        assertMessage("""
                [[rule]]
                name = "a"

                [rule]
                name = "b"
                """, FILE + ":4: rule: [rule] here, but line 1 has [[rule]]: each rule is written [[rule]]"
                + " (an array of tables)");
    }

    @Test
    void aDuplicateKeyIsNamedAtItsOwnLineWithTheFirst() {
        assertMessage("""
                [limits]
                max_frame = 4096
                max_connections = 10
                max_frame = 2048
                """, FILE + ":4: limits.max_frame: duplicate key 'max_frame', first set at line 2");
    }

    @Test
    void aDuplicateTableIsNamedWithTheFirstAndTheDropInHint() {
        assertMessage("""
                [defaults]
                create = "always"

                [limits]
                max_frame = 4096

                # appended by configuration management
                [defaults]
                revoke = true
                """, FILE + ":8: defaults: table [defaults] defined twice, first at line 1; add these keys to"
                + " the first one, or put them in a drop-in file (conf.d/*.toml)");
    }

    @Test
    void anUnknownKeyGetsTheClosestKnownOne() {
        assertMessage("""
                [limits]
                max_frames = 10
                """, FILE + ":2: limits.max_frames: unknown key 'max_frames'; did you mean 'max_frame'?");
        assertMessage("""
                [[rule]]
                match = { servce = "sshd" }
                """, FILE + ":2: rule[1].match.servce: unknown key 'servce'; did you mean 'service'?");
        assertMessage("""
                [defaults]
                revoke_on_exti = false
                """, FILE + ":2: defaults.revoke_on_exti: unknown key 'revoke_on_exti'; did you mean 'revoke_on_exit'?");
    }

    @Test
    void anUnknownKeyFarFromAnyGetsTheList() {
        assertMessage("""
                [metrics]
                port = 9100
                """, FILE + ":2: metrics.port: unknown key 'port'; known keys here: textfile, interval_ms");
    }

    @Test
    void aWrongValueForAnEnum() {
        assertMessage("""
                [defaults]
                create = "sometimes"
                """, FILE + ":2: defaults.create: 'sometimes' is not one of always, if-missing, never");
    }

    @Test
    void notTomlAtAll() {
        assertThatThrownBy(() -> ConfigLoader.parse(FILE, "socket = \"/a\"\nlimits = = 3\n"))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.getMessage()).startsWith(FILE + ":2: not valid TOML: ");
                });
    }

    private static void assertMessage(String toml, String message) {
        assertThatThrownBy(() -> ConfigLoader.parse(FILE, toml)).isInstanceOf(ConfigException.class)
                .hasMessage(message);
    }
}
