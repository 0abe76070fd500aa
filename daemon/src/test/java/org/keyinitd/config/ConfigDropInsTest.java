package org.keyinitd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.keyinitd.policy.CreateMode;
import org.keyinitd.policy.RevokeMode;
import org.keyinitd.policy.Rule;

/** conf.d/*.toml beside the main file: order, last scalar wins, rules appended, sources. */
class ConfigDropInsTest {
    @TempDir
    Path dir;

    private Path main(String text) throws Exception {
        Path f = dir.resolve("keyinitd.toml");
        Files.writeString(f, text);
        return f;
    }

    private Path dropIn(String name, String text) throws Exception {
        Path d = dir.resolve("conf.d");
        Files.createDirectories(d);
        Path f = d.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    @Test
    void theShippedMainFileTakesDropInsThatAddDefaultsAndRules() throws Exception {
        Path f = main(Files.readString(Path.of("..", "config", "keyinitd.toml")));
        Path role = dropIn("50-ansible.toml", """
                [defaults]
                revoke = true

                [[rule]]
                name = "staff-ssh"
                match = { service = "sshd" }
                create = "always"
                """);
        Config c = ConfigLoader.load(f);
        assertThat(c.policy().defaults().revoke()).contains(RevokeMode.ALWAYS);
        assertThat(c.policy().rules()).extracting(Rule::name).containsExactly("staff-ssh");
        assertThat(c.sources().files()).containsExactly(f, role);
        assertThat(c.sources().of("defaults.revoke")).contains(new Origin(role, 2));
        assertThat(c.sources().rules()).containsExactly(new Origin(role, 4));
    }

    @Test
    void rulesAreAppendedInFileOrderAndTheLastScalarWins() throws Exception {
        Path f = main("""
                [defaults]
                create = "never"
                [limits]
                max_frame = 1024
                [[rule]]
                name = "main"
                """);
        dropIn("20-b.toml", """
                [defaults]
                create = "always"
                [[rule]]
                name = "b"
                """);
        Path a = dropIn("10-a.toml", """
                [limits]
                max_frame = 2048
                [[rule]]
                name = "a"
                """);
        Path last = dropIn("30-c.toml", """
                [defaults]
                create = "if-missing"
                """);
        dropIn("40-ignored.toml.dpkg-old", "this is not toml");
        dropIn(".hidden.toml", "nor this");
        Config c = ConfigLoader.load(f);
        assertThat(c.policy().rules()).extracting(Rule::name).containsExactly("main", "a", "b");
        assertThat(c.policy().defaults().create()).contains(CreateMode.IF_MISSING);
        assertThat(c.sources().of("defaults.create")).contains(new Origin(last, 2));
        assertThat(c.limits().maxFrame()).isEqualTo(2048);
        assertThat(c.sources().of("limits.max_frame")).contains(new Origin(a, 2));
    }

    @Test
    void aMistakeInADropInNamesTheDropIn() throws Exception {
        Path f = main("");
        Path bad = dropIn("10-bad.toml", """
                [limits]
                max_connections = "256"
                """);
        assertThatThrownBy(() -> ConfigLoader.load(f)).isInstanceOf(ConfigException.class)
                .hasMessage(bad + ":2: limits.max_connections: expected an integer, got the string \"256\""
                        + " (write 256 without quotes)");
    }

    @Test
    void aRuleNameUsedInTwoFilesNamesTheFirst() throws Exception {
        Path f = main("""
                [[rule]]
                name = "ops"
                """);
        Path second = dropIn("10-more.toml", """

                [[rule]]
                name = "ops"
                """);
        assertThatThrownBy(() -> ConfigLoader.load(f)).isInstanceOf(ConfigException.class)
                .hasMessage(second + ":3: rule[1].name: 'ops' is already the name of an earlier rule (" + f + ":2)");
    }

    @Test
    void noDropInDirectoryIsFine() throws Exception {
        assertThat(ConfigLoader.load(main("")).sources().files()).hasSize(1);
    }
}
