package org.keyinitd.config;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the line of a key in a TOML file. Jackson's TOML binding reports field paths but not
 * reliable positions, and an admin needs the line number.
 */
final class TomlLines {
    private static final Pattern TABLE = Pattern.compile("^\\s*\\[\\s*([A-Za-z0-9_.\\-]+)\\s*]\\s*(#.*)?$");
    private static final Pattern KEY = Pattern.compile("^\\s*\"?([A-Za-z0-9_\\-]+)\"?\\s*=");

    private final List<String> lines;

    TomlLines(String text) {
        this.lines = text.lines().toList();
    }

    /** 1-based line where {@code table.key} (or a top-level key when table is empty) is set; 0 if absent. */
    int lineOf(String table, String key) {
        String current = "";
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            Matcher t = TABLE.matcher(line);
            if (t.matches()) {
                current = t.group(1);
                if (key == null && current.equals(table)) {
                    return i + 1;
                }
                continue;
            }
            Matcher k = KEY.matcher(line);
            if (key != null && k.find() && current.equals(table) && k.group(1).equals(key)) {
                return i + 1;
            }
        }
        return 0;
    }
}
