package org.keyinitd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.keyinitd.policy.Actions;
import org.keyinitd.policy.CreateMode;
import org.keyinitd.policy.Owner;
import org.keyinitd.policy.RevokeMode;

class ConfigLoaderTest {
    private static final Path FILE = Path.of("/etc/keyinitd/test.toml");

    @Test
    void emptyFileGivesTheDocumentedDefaults() throws Exception {
        Config c = ConfigLoader.parse(FILE, "");
        assertThat(c.socket()).isEqualTo(Path.of("/run/keyinitd/keyinitd.sock"));
        assertThat(c.stateDir()).isEqualTo(Path.of("/run/keyinitd/state"));
        assertThat(c.auditLog()).isEqualTo(Path.of("/var/log/keyinitd/audit.log"));
        assertThat(c.policy().defaults()).isEqualTo(Actions.NONE);
        assertThat(c.policy().rules()).isEmpty();
        assertThat(c.limits()).isEqualTo(Limits.DEFAULT);
    }

    @Test
    void everyKeyIsRead() throws Exception {
        Config c = ConfigLoader.parse(FILE, """
                socket = "/run/k/k.sock"
                state_dir = "/var/lib/k"
                audit_log = "/var/log/k/audit.log"
                [defaults]
                create = "always"
                revoke = true
                [limits]
                max_frame = 2048
                max_connections = 10
                max_connections_per_uid = 3
                idle_timeout_ms = 1000
                request_timeout_ms = 500
                """);
        assertThat(c.socket()).isEqualTo(Path.of("/run/k/k.sock"));
        assertThat(c.policy().defaults().create()).contains(CreateMode.ALWAYS);
        assertThat(c.policy().defaults().revoke()).contains(RevokeMode.ALWAYS);
        assertThat(c.limits()).isEqualTo(new Limits(2048, 10, 3, 1000, 500));
    }

    @Test
    void theShippedExampleIsValid() throws Exception {
        Path shipped = Path.of("..", "config", "keyinitd.toml");
        Config c = ConfigLoader.load(shipped);
        assertThat(c.socket()).isEqualTo(Config.DEFAULT_SOCKET);
        assertThat(c.policy().rules()).as("rules are commented out: installing changes nothing").isEmpty();
        assertThat(c.policy().defaults()).isEqualTo(Actions.NONE);
    }

    @Test
    void theSitePolicyExampleIsValidAndShowsEveryFeature() throws Exception {
        Config c = ConfigLoader.load(Path.of("..", "config", "examples", "site-policy.toml"));
        assertThat(c.policy().rules()).hasSize(5);
        assertThat(c.policy().rules()).anySatisfy(r -> assertThat(r.actions().revoke()).contains(RevokeMode.WHEN_UNUSED));
        assertThat(c.policy().rules()).anySatisfy(r -> assertThat(r.actions().owner()).contains(Owner.ROOT));
        assertThat(c.policy().rules()).anySatisfy(r -> assertThat(r.actions().permissions()).isPresent());
        assertThat(c.policy().rules()).anySatisfy(r -> assertThat(r.match().group()).isPresent());
        assertThat(c.policy().rules()).anySatisfy(r -> assertThat(r.match().hasSessionKeyring()).isPresent());
    }

    @Test
    void unknownKeyIsNamedWithItsLine() {
        assertError("""
                socket = "/run/k.sock"

                [limits]
                max_frames = 10
                """, 4, "limits.max_frames", "unknown key 'max_frames'");
    }

    @Test
    void badEnumValueIsNamedWithItsLine() {
        assertError("""
                [defaults]
                create = "sometimes"
                """, 2, "defaults.create", "'sometimes' is not one of always, if-missing, never");
    }

    @Test
    void wrongTypeIsNamed() {
        assertError("""
                [defaults]
                revoke = "yes"
                """, 2, "defaults.revoke", "'yes' is not one of true, false, \"when-unused\"");
    }

    @Test
    void relativePathIsRejected() {
        assertError("""
                # comment
                socket = "keyinitd.sock"
                """, 2, "socket", "absolute path");
    }

    @Test
    void outOfRangeLimitIsRejected() {
        assertError("""
                [limits]
                idle_timeout_ms = 5
                """, 2, "limits.idle_timeout_ms", "between 100 and 3600000");
    }

    @Test
    void syntaxErrorGivesALine() {
        assertThatThrownBy(() -> ConfigLoader.parse(FILE, "socket = \"/a\"\n[limits\n"))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.getMessage()).startsWith(FILE + ":");
                    assertThat(e.reason()).contains("not valid TOML");
                    assertThat(e.line()).isEqualTo(2);
                });
    }

    @Test
    void missingFileSaysSo(@TempDir Path dir) {
        assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("nope.toml")))
                .hasMessageContaining("nope.toml").hasMessageContaining("no such file");
    }

    @Test
    void unreadableContentIsReportedNotThrownRaw(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bin.toml");
        Files.write(f, new byte[] {(byte) 0xFF, (byte) 0xFE, 0, 1, 2});
        assertThatThrownBy(() -> ConfigLoader.load(f)).isInstanceOf(ConfigException.class);
    }

    private static void assertError(String toml, int line, String field, String reason) {
        assertThatThrownBy(() -> ConfigLoader.parse(FILE, toml))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.line()).as("line").isEqualTo(line);
                    assertThat(e.field()).as("field").isEqualTo(field);
                    assertThat(e.reason()).as("reason").contains(reason);
                    assertThat(e.getMessage()).isEqualTo(FILE + ":" + line + ": " + field + ": " + e.reason());
                });
    }
}
