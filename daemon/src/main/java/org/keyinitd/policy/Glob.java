package org.keyinitd.policy;

import java.util.regex.Pattern;

/**
 * A shell-style glob as in fnmatch(3) without flags: {@code *} any run of characters
 * (including '/', so {@code pts*} matches {@code pts/3}), {@code ?} one character,
 * {@code [abc]}, {@code [a-z]}, {@code [!abc]} one character of (or not of) a set.
 * Everything else, including regex metacharacters, matches itself.
 */
public final class Glob {
    private final String source;
    private final Pattern pattern;

    private Glob(String source, Pattern pattern) {
        this.source = source;
        this.pattern = pattern;
    }

    /** Compiles a glob; an unclosed {@code [} is an error, named in the message. */
    public static Glob compile(String glob) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                case '[' -> i = appendClass(glob, i, re);
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return new Glob(glob, Pattern.compile(re.toString(), Pattern.DOTALL));
    }

    private static int appendClass(String glob, int open, StringBuilder re) {
        int i = open + 1;
        boolean negate = i < glob.length() && (glob.charAt(i) == '!' || glob.charAt(i) == '^');
        if (negate) {
            i++;
        }
        int first = i;
        StringBuilder set = new StringBuilder();
        while (i < glob.length() && (glob.charAt(i) != ']' || i == first)) {
            char c = glob.charAt(i);
            if (c == '-' && i > first && i + 1 < glob.length() && glob.charAt(i + 1) != ']') {
                set.append('-');
            } else {
                set.append(c == '\\' || c == '[' || c == ']' || c == '^' || c == '&' || c == '-' ? "\\" + c : c);
            }
            i++;
        }
        if (i >= glob.length()) {
            throw new IllegalArgumentException("unclosed '[' in pattern '" + glob + "'");
        }
        re.append('[').append(negate ? "^" : "").append(set).append(']');
        return i;
    }

    public boolean matches(String value) {
        return pattern.matcher(value).matches();
    }

    @Override
    public String toString() {
        return source;
    }
}
