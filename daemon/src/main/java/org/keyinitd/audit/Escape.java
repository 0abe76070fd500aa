package org.keyinitd.audit;

/**
 * Makes attacker-influenced text safe to show on one line of a log or a terminal: every control
 * character (C0, DEL, C1), and the Unicode line and paragraph separators, becomes a visible
 * escape ({@code \n}, {@code \r}, {@code \t}, {@code \x1b}, {@code \u2028}); a backslash becomes
 * {@code \\} so an escape cannot be forged. Other text, UTF-8 names included, is left as it is.
 */
public final class Escape {
    private Escape() {
    }

    /** True for the characters {@link #line} rewrites (other than the backslash). */
    public static boolean isUnsafe(int c) {
        return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029;
    }

    public static String line(String s) {
        if (s == null) {
            return null;
        }
        int i = 0;
        while (i < s.length() && !isUnsafe(s.charAt(i)) && s.charAt(i) != '\\') {
            i++;
        }
        if (i == s.length()) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length() + 16).append(s, 0, i);
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x100 && isUnsafe(c)) {
                        out.append(String.format("\\x%02x", (int) c));
                    } else if (isUnsafe(c)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
