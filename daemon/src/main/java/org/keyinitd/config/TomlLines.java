package org.keyinitd.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the line of a key in a TOML file, and the first line of a key or table that is defined
 * twice. Jackson's TOML parser reports field paths but not positions, and it reports a duplicate
 * key one line late and without the key's name; an admin needs the line and the key.
 *
 * <p>Paths look like {@code socket}, {@code limits.max_frame}, {@code rule[2].match.user}
 * (array-of-tables entries counted from 1). A key set inside an inline table is found at the
 * line of the inline table's own key. Lines inside multi-line strings are skipped.
 */
final class TomlLines {
    private static final Pattern ARRAY_TABLE = Pattern.compile("^\\s*\\[\\[\\s*([A-Za-z0-9_.\\-]+)\\s*]]\\s*(#.*)?$");
    private static final Pattern TABLE = Pattern.compile("^\\s*\\[\\s*([A-Za-z0-9_.\\-]+)\\s*]\\s*(#.*)?$");
    private static final Pattern KEY = Pattern.compile("^\\s*([A-Za-z0-9_\\-\"]+(\\s*\\.\\s*[A-Za-z0-9_\\-\"]+)*)\\s*=");

    /** A key or table defined twice (or a table also written as an array of tables). */
    record Problem(int line, String field, String reason) {
    }

    private final Map<String, Integer> lines = new HashMap<>();
    private final List<Problem> problems = new ArrayList<>();

    TomlLines(String text) {
        List<String> all = text.lines().toList();
        Map<String, Integer> arrayCounts = new HashMap<>();
        Map<String, Integer> tableHeaders = new HashMap<>();
        Map<String, Integer> arrayHeaders = new HashMap<>();
        Set<String> keysInTable = new HashSet<>();
        String current = "";
        boolean inMultiline = false;
        for (int i = 0; i < all.size(); i++) {
            String line = all.get(i);
            int no = i + 1;
            boolean wasMultiline = inMultiline;
            inMultiline ^= (count(line, "\"\"\"") + count(line, "'''")) % 2 == 1;
            if (wasMultiline) {
                continue;
            }
            Matcher m;
            if ((m = ARRAY_TABLE.matcher(line)).matches()) {
                String name = m.group(1);
                Integer single = tableHeaders.get(name);
                if (single != null) {
                    problems.add(new Problem(no, name, "[[" + name + "]] here, but line " + single + " has [" + name
                            + "]: each " + name + " is written [[" + name + "]] (an array of tables)"));
                }
                arrayHeaders.putIfAbsent(name, no);
                int n = arrayCounts.merge(name, 1, Integer::sum);
                current = name + "[" + n + "]";
                lines.putIfAbsent(current, no);
            } else if ((m = TABLE.matcher(line)).matches()) {
                String name = m.group(1);
                Integer array = arrayHeaders.get(name);
                if (array != null) {
                    problems.add(new Problem(no, name, "[" + name + "] here, but line " + array + " has [[" + name
                            + "]]: each " + name + " is written [[" + name + "]] (an array of tables)"));
                }
                current = resolveTable(name, arrayCounts);
                Integer first = tableHeaders.get(current);
                if (first != null) {
                    problems.add(new Problem(no, current, "table [" + name + "] defined twice, first at line " + first
                            + "; add these keys to the first one, or put them in a drop-in file (conf.d/*.toml)"));
                } else if (lines.containsKey(current) && !arrayHeaders.containsKey(name)) {
                    problems.add(new Problem(no, current, "table [" + name + "] already defined at line "
                            + lines.get(current) + " (by a key or inline table)"));
                }
                tableHeaders.putIfAbsent(current, no);
                lines.putIfAbsent(current, no);
            } else if ((m = KEY.matcher(line)).find()) {
                String key = m.group(1).replace("\"", "").replaceAll("\\s*\\.\\s*", ".");
                String path = current.isEmpty() ? key : current + "." + key;
                Integer first = lines.get(path);
                if (first != null && keysInTable.contains(path)) {
                    problems.add(new Problem(no, path, "duplicate key '" + key + "', first set at line " + first));
                } else if (first != null && tableHeaders.containsKey(path)) {
                    problems.add(new Problem(no, path, "'" + key + "' already defined as a table at line " + first));
                }
                keysInTable.add(path);
                lines.putIfAbsent(path, no);
            }
        }
    }

    private static int count(String line, String token) {
        int n = 0;
        for (int at = line.indexOf(token); at >= 0; at = line.indexOf(token, at + token.length())) {
            n++;
        }
        return n;
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

    /** The first key or table defined twice, if the scan saw one. */
    Optional<Problem> firstProblem() {
        return problems.stream().findFirst();
    }
}
