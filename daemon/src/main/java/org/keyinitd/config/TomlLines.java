package org.keyinitd.config;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the line of a key in a TOML file. Jackson's TOML binding reports field paths but not
 * positions, and an admin needs the line number.
 *
 * <p>Paths look like {@code socket}, {@code limits.max_frame}, {@code rule[2].match.user}
 * (array-of-tables entries counted from 1). A key set inside an inline table is found at the
 * line of the inline table's own key.
 */
final class TomlLines {
    private static final Pattern ARRAY_TABLE = Pattern.compile("^\\s*\\[\\[\\s*([A-Za-z0-9_.\\-]+)\\s*]]\\s*(#.*)?$");
    private static final Pattern TABLE = Pattern.compile("^\\s*\\[\\s*([A-Za-z0-9_.\\-]+)\\s*]\\s*(#.*)?$");
    private static final Pattern KEY = Pattern.compile("^\\s*([A-Za-z0-9_\\-\"]+(\\s*\\.\\s*[A-Za-z0-9_\\-\"]+)*)\\s*=");

    private final Map<String, Integer> lines = new HashMap<>();

    TomlLines(String text) {
        List<String> all = text.lines().toList();
        Map<String, Integer> arrayCounts = new HashMap<>();
        String current = "";
        for (int i = 0; i < all.size(); i++) {
            String line = all.get(i);
            Matcher m;
            if ((m = ARRAY_TABLE.matcher(line)).matches()) {
                String name = m.group(1);
                int n = arrayCounts.merge(name, 1, Integer::sum);
                current = name + "[" + n + "]";
                lines.putIfAbsent(current, i + 1);
            } else if ((m = TABLE.matcher(line)).matches()) {
                current = resolveTable(m.group(1), arrayCounts);
                lines.putIfAbsent(current, i + 1);
            } else if ((m = KEY.matcher(line)).find()) {
                String key = m.group(1).replace("\"", "").replaceAll("\\s*\\.\\s*", ".");
                lines.putIfAbsent(current.isEmpty() ? key : current + "." + key, i + 1);
            }
        }
    }

    /** {@code [rule.match]} after the 2nd {@code [[rule]]} belongs to {@code rule[2]}. */
    private static String resolveTable(String name, Map<String, Integer> arrayCounts) {
        for (Map.Entry<String, Integer> e : arrayCounts.entrySet()) {
            if (name.startsWith(e.getKey() + ".")) {
                return e.getKey() + "[" + e.getValue() + "]" + name.substring(e.getKey().length());
            }
        }
        return name;
    }

    /** 1-based line of the path, or of its nearest enclosing key or table; 0 if none is in the file. */
    int lineOf(String path) {
        String p = path;
        while (!p.isEmpty()) {
            Integer line = lines.get(p);
            if (line != null) {
                return line;
            }
            int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
            p = cut < 0 ? "" : p.substring(0, cut);
        }
        return 0;
    }
}
