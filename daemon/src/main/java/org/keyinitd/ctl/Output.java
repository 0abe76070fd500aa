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

    /** One session in full (SHOW); every value that came from a login or a key is escaped. */
    static void show(JsonNode s, PrintWriter out) {
        String[][] fields = {
            {"session", s.path("session").asText()}, {"user", s.path("user").asText() + " (uid " + s.path("uid").asText() + ")"},
            {"service", s.path("service").asText()}, {"tty", text(s.path("tty"))}, {"rhost", text(s.path("rhost"))},
            {"login pid", s.path("login_pid").asText() + ", auid " + s.path("auid").asText() + ", ses " + s.path("ses").asText()},
            {"state", s.path("state").asText()}, {"opened", s.path("opened_at").asText() + " (" + duration(s.path("age_seconds").asLong()) + " ago)"},
            {"rule", s.path("rule").asText() + ": revoke " + s.path("revoke").asText() + ", close_action "
                + s.path("close_action").asText() + ", revoke_on_exit " + s.path("revoke_on_exit").asText()},
        };
        for (String[] f : fields) {
            out.printf("%-10s %s%n", f[0] + ":", Escape.line(f[1]));
        }
        JsonNode k = s.path("keyring");
        if (k.has("error")) {
            out.printf("%-10s %s (%s)%n", "keyring:", k.path("serial").asText(), Escape.line(k.path("error").asText()));
        } else {
            out.printf("%-10s %s %s, %s, owner uid %s gid %s, permissions %s, expiry %s, %s holder%s%n", "keyring:",
                    k.path("serial").asText(), Escape.line(k.path("name").asText()), k.path("state").asText(),
                    k.path("uid").asText(), k.path("gid").asText(), k.path("permissions").asText(),
                    text(k.path("expiry")), k.path("holders").asText(), k.path("holders").asInt() == 1 ? "" : "s");
            out.printf("%-10s %d%n", "keys:", k.path("keys").size());
            for (JsonNode key : k.path("keys")) {
                out.printf("  %10s  %-12s %-10s uid %-6s %s%n", key.path("serial").asText(),
                        Escape.line(key.path("type").asText()), key.path("permissions").asText(),
                        key.path("uid").asText(), Escape.line(key.path("description").asText()));
            }
        }
        out.printf("%-10s %d line%s%n", "audit:", s.path("audit").size(), s.path("audit").size() == 1 ? "" : "s");
        for (JsonNode line : s.path("audit")) {
            out.printf("  %s  %s %s%n", line.path("ts").asText(), line.path("event").asText(),
                    Escape.line(line.path("outcome").asText()));
        }
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
