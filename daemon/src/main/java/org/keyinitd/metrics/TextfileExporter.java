package org.keyinitd.metrics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.keyinitd.protocol.Op;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the metrics in Prometheus text format for node_exporter's textfile collector, every
 * interval, atomically (a temporary file in the same directory renamed over the target, so the
 * collector never reads half a file).
 */
public final class TextfileExporter implements AutoCloseable {
    /** Gauges read at each write. */
    public record Gauges(int sessionsOpen, int sessionsClosing, int sessionsRevoked, long auditDropped,
                         long startTimeSeconds) {
    }

    private static final Logger log = LoggerFactory.getLogger(TextfileExporter.class);

    private final Path file;
    private final Metrics metrics;
    private final Supplier<Gauges> gauges;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "metrics-textfile");
        t.setDaemon(true);
        return t;
    });

    public TextfileExporter(Path file, Metrics metrics, Supplier<Gauges> gauges) {
        this.file = file;
        this.metrics = metrics;
        this.gauges = gauges;
    }

    public void start(long intervalMillis) {
        timer.scheduleWithFixedDelay(this::writeQuietly, 0, intervalMillis, TimeUnit.MILLISECONDS);
    }

    private void writeQuietly() {
        try {
            write();
        } catch (IOException | RuntimeException e) {
            log.warn("cannot write metrics to {}: {}", file, e.getMessage());
        }
    }

    void write() throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(tmp, render(), StandardCharsets.UTF_8);
        // 0644 whatever the umask (the unit sets UMask=0077): node_exporter runs as its own user.
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    String render() {
        Gauges g = gauges.get();
        StringBuilder sb = new StringBuilder();
        header(sb, "keyinitd_events_total", "counter", "Audit events since start, by event and outcome.");
        for (Map.Entry<String, Long> e : metrics.eventCounts().entrySet()) {
            String[] eo = e.getKey().split("\\|", 2);
            sb.append("keyinitd_events_total{event=\"").append(eo[0]).append("\",outcome=\"").append(eo[1])
                    .append("\"} ").append(e.getValue()).append('\n');
        }
        header(sb, "keyinitd_sessions", "gauge", "Sessions the daemon tracks, by state.");
        sb.append("keyinitd_sessions{state=\"open\"} ").append(g.sessionsOpen()).append('\n');
        sb.append("keyinitd_sessions{state=\"closing\"} ").append(g.sessionsClosing()).append('\n');
        sb.append("keyinitd_sessions{state=\"revoked\"} ").append(g.sessionsRevoked()).append('\n');
        header(sb, "keyinitd_audit_dropped_total", "counter", "Audit lines dropped because the queue stayed full.");
        sb.append("keyinitd_audit_dropped_total ").append(g.auditDropped()).append('\n');
        header(sb, "keyinitd_start_time_seconds", "gauge", "Start time of the daemon, seconds since the epoch.");
        sb.append("keyinitd_start_time_seconds ").append(g.startTimeSeconds()).append('\n');
        header(sb, "keyinitd_request_duration_seconds", "summary",
                "Request handling time by op (quantiles over the most recent 4096 requests).");
        for (Op op : Op.values()) {
            Latency l = metrics.latency(op);
            String name = op.name().toLowerCase(Locale.ROOT);
            for (double[] q : new double[][] {{0.5, l.p50()}, {0.9, l.p90()}, {0.99, l.p99()}}) {
                sb.append("keyinitd_request_duration_seconds{op=\"").append(name).append("\",quantile=\"")
                        .append(q[0]).append("\"} ").append(seconds((long) q[1])).append('\n');
            }
            sb.append("keyinitd_request_duration_seconds_count{op=\"").append(name).append("\"} ")
                    .append(l.count()).append('\n');
        }
        return sb.toString();
    }

    private static void header(StringBuilder sb, String name, String type, String help) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.9f", nanos / 1e9);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
