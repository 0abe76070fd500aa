package org.keyinitd.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.keyinitd.config.Config;
import org.junit.jupiter.api.Test;

class ConfigArgumentTest {
    @Test
    void theLaunchersCommandLinesNameTheConfigurationFile() {
        assertThat(ConfigArgument.parse(new String[0])).contains(Config.DEFAULT_FILE);
        assertThat(ConfigArgument.parse(new String[] {"--config", "/etc/k.toml"})).contains(Path.of("/etc/k.toml"));
        assertThat(ConfigArgument.parse(new String[] {"-c", "k.toml"})).contains(Path.of("k.toml"));
        assertThat(ConfigArgument.parse(new String[] {"--config=/etc/k.toml"})).contains(Path.of("/etc/k.toml"));
    }

    @Test
    void everyOtherCommandLineIsLeftToPicocli() {
        assertThat(ConfigArgument.parse(new String[] {"--help"})).isEmpty();
        assertThat(ConfigArgument.parse(new String[] {"--config", "k.toml", "--check-config"})).isEmpty();
        assertThat(ConfigArgument.parse(new String[] {"--check-config", "--config", "k.toml"})).isEmpty();
        assertThat(ConfigArgument.parse(new String[] {"--config", "--help"})).isEmpty();
        assertThat(ConfigArgument.parse(new String[] {"--config="})).isEmpty();
        assertThat(ConfigArgument.parse(new String[] {"--config"})).isEmpty();
        assertThat(ConfigArgument.parse(new String[] {"--explain", "user=a"})).isEmpty();
    }
}
