package org.keyinitd.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.keyinitd.audit.Escape;

/** keyinitctl's human-readable output: aligned columns, units spelled out. */
final class Output {
    private Output() {
    }

    static void status(JsonNode s, PrintWriter out) {
        out.printf("keyinitd %s, pid %d, up %s%n", s.path("version").asText(), s.path("pid").asLong(),
                duration(s.path("uptime_seconds").asLong()));
        out.printf("%-10s %s (loaded %s)%n", "config:", Escape.line(s.path("config").asText()),
                s.path("config_loaded_at").asText());
        JsonNode ss = s.path("sessions");
        out.printf("%-10s %d open, %d closing (revocation deferred), %d revoked%n", "sessions:",
                ss.path("open").asLong(), ss.path("closing").asLong(), ss.path("revoked").asLong());
        JsonNode c = s.path("counters");
        out.printf("%-10s opens %d, closes %d, denials %d, errors %d, orphans revoked %d, admin revokes %d, "
                        + "audit lines dropped %d%n", "counters:", c.path("opens").asLong(), c.path("closes").asLong(),
                c.path("denials").asLong(), c.path("errors").asLong(), c.path("orphans_revoked").asLong(),
                c.path("admin_revokes").asLong(), c.path("audit_dropped").asLong());
        String label = "latency:";
        for (String op : new String[] {"open", "close"}) {
            JsonNode l = s.path("latency").path(op);
            out.printf("%-10s %-5s p50 %s  p90 %s  p99 %s  max %s  (%d requests)%n", label,
                    op.toUpperCase(Locale.ROOT), ms(l.path("p50_us")), ms(l.path("p90_us")), ms(l.path("p99_us")),
                    ms(l.path("max_us")), l.path("count").asLong());
            label = "";
        }
    }

    static void sessions(JsonNode list, PrintWriter out) {
        String[] head = {"SESSION", "USER", "UID", "SERVICE", "TTY", "RHOST", "PID", "KEYRING", "RULE", "STATE",
            "OPENED", "AGE"};
        List<String[]> rows = new ArrayList<>();
        rows.add(head);
        for (JsonNode n : list) {
            rows.add(new String[] {n.path("session").asText(), n.path("user").asText(), n.path("uid").asText(),
                n.path("service").asText(), text(n.path("tty")), text(n.path("rhost")), n.path("pid").asText(),
                n.path("keyring").asText(), n.path("rule").asText(), n.path("state").asText(),
                n.path("opened_at").asText().replaceAll("\\.\\d+Z$", "Z"), duration(n.path("age_seconds").asLong())});
        }
        int[] width = new int[head.length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                r[i] = Escape.line(r[i]); // user, tty, rhost, rule come from logins: no rows, no escapes
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                boolean numeric = i == 2 || i == 6 || i == 7;
                String cell = numeric ? " ".repeat(width[i] - r[i].length()) + r[i]
                        : r[i] + " ".repeat(width[i] - r[i].length());
                sb.append(cell).append(i + 1 < r.length ? "  " : "");
            }
            out.println(sb.toString().stripTrailing());
        }
        out.printf("%d session%s%n", list.size(), list.size() == 1 ? "" : "s");
    }

    private static String text(JsonNode n) {
        // (escaped with the other cells in sessions())
        return n.isMissingNode() || n.isNull() ? "-" : n.asText();
    }

    private static String ms(JsonNode micros) {
        return String.format(Locale.ROOT, "%.2f ms", micros.asLong() / 1000.0);
    }

    static String duration(long seconds) {
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return String.format("%dm%02ds", seconds / 60, seconds % 60);
        }
        if (seconds < 86400) {
            return String.format("%dh%02dm", seconds / 3600, (seconds % 3600) / 60);
        }
        return String.format("%dd%02dh", seconds / 86400, (seconds % 86400) / 3600);
    }
}
