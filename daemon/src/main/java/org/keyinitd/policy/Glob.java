package org.keyinitd.policy;

import java.util.regex.Pattern;

/**
 * A shell-style glob as in fnmatch(3) without flags: {@code *} any run of characters
 * (including '/', so {@code pts*} matches {@code pts/3}), {@code ?} one character,
 * {@code [abc]}, {@code [a-z]}, {@code [!abc]} one character of (or not of) a set.
 * Everything else, including regex metacharacters, matches itself.
 */
public final class Glob {
    /**
     * How a glob is matched. Most globs in a policy are a name ("sshd"), a prefix ("admin-*"),
     * a suffix or "*": those are compared as strings, with no regex Matcher made per login.
     */
    private enum Form { LITERAL, PREFIX, SUFFIX, ANY, REGEX }

    private final String source;
    private final Form form;
    /** LITERAL, PREFIX, SUFFIX: the fixed part; otherwise unused. */
    private final String fixed;
    private final Pattern pattern;

    private Glob(String source, Form form, String fixed, Pattern pattern) {
        this.source = source;
        this.form = form;
        this.fixed = fixed;
        this.pattern = pattern;
    }

    /** Compiles a glob; an unclosed {@code [} is an error, named in the message. */
    public static Glob compile(String glob) {
        Pattern pattern = toRegex(glob);
        if (!hasWildcard(glob)) {
            return new Glob(glob, Form.LITERAL, glob, pattern);
        } else if (glob.equals("*")) {
            return new Glob(glob, Form.ANY, "", pattern);
        } else if (glob.endsWith("*") && !hasWildcard(glob.substring(0, glob.length() - 1))) {
            return new Glob(glob, Form.PREFIX, glob.substring(0, glob.length() - 1), pattern);
        } else if (glob.startsWith("*") && !hasWildcard(glob.substring(1))) {
            return new Glob(glob, Form.SUFFIX, glob.substring(1), pattern);
        }
        return new Glob(glob, Form.REGEX, "", pattern);
    }

    private static boolean hasWildcard(String s) {
        return s.indexOf('*') >= 0 || s.indexOf('?') >= 0 || s.indexOf('[') >= 0;
    }

    private static Pattern toRegex(String glob) {
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
        return Pattern.compile(re.toString(), Pattern.DOTALL);
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
        return switch (form) {
            case LITERAL -> value.equals(fixed);
            case PREFIX -> value.startsWith(fixed);
            case SUFFIX -> value.endsWith(fixed);
            case ANY -> true;
            case REGEX -> matchesByRegex(value);
        };
    }

    /** The general matcher, which every glob also has: the tests hold the fast forms to it. */
    boolean matchesByRegex(String value) {
        return pattern.matcher(value).matches();
    }

    @Override
    public String toString() {
        return source;
    }
}
