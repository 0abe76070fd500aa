package org.keyinitd.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.keyinitd.config.Config;
import org.keyinitd.config.ConfigException;
import org.keyinitd.config.ConfigLoader;

class LifetimeTest {
    private static final Path FILE = Path.of("/etc/keyinitd/keyinitd.toml");

    @Test
    void durationsWithUnitsAndCombinations() {
        assertThat(Lifetime.parse("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(Lifetime.parse("30m")).isEqualTo(Duration.ofMinutes(30));
        assertThat(Lifetime.parse("8h")).isEqualTo(Duration.ofHours(8));
        assertThat(Lifetime.parse("1d")).isEqualTo(Duration.ofDays(1));
        assertThat(Lifetime.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Lifetime.format(Duration.ofMinutes(90))).isEqualTo("1h30m");
        assertThat(Lifetime.format(Lifetime.NONE)).isEqualTo("none");
    }

    @Test
    void nonsenseIsRefusedWithAnExample() {
        for (String bad : new String[] {"", "8", "8 h", "h", "-1h", "1.5h", "1y", "8H"}) {
            assertThatThrownBy(() -> Lifetime.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("\"8h\"");
        }
        assertThatThrownBy(() -> Lifetime.parse("0s")).hasMessageContaining("no time at all");
        assertThatThrownBy(() -> Lifetime.parse("367d")).hasMessageContaining("366d");
    }

    @Test
    void theConfigKeyNamesTheLineAndTakesOnlyStrings() throws Exception {
        Config c = ConfigLoader.parse(FILE, "[defaults]\nmax_lifetime = \"12h\"\n");
        assertThat(c.policy().defaults().maxLifetime()).contains(Duration.ofHours(12));
        assertThatThrownBy(() -> ConfigLoader.parse(FILE, "[defaults]\nmax_lifetime = 3600\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining(":2:").hasMessageContaining("max_lifetime");
        assertThatThrownBy(() -> ConfigLoader.parse(FILE, "[[rule]]\nmatch = { user = \"x\" }\nmax_lifetime = \"1w\"\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining(":3:").hasMessageContaining("'1w'");
    }
}
