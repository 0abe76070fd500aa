package org.keyinitd.config;

import java.nio.file.Path;
import java.util.Optional;

/** Optional Prometheus textfile output (node_exporter's textfile collector convention). */
public record MetricsSettings(Optional<Path> textfile, int intervalMillis) {
    public static final MetricsSettings OFF = new MetricsSettings(Optional.empty(), 5000);
}
