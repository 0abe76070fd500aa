package org.keyinitd.policy;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** An inclusive uid range, written {@code "1000-59999"} or a single {@code "0"}. */
public record UidRange(long first, long last) {
    private static final long MAX_UID = 0xFFFF_FFFEL; // (uid_t) -1 is "no uid"
    private static final Pattern SYNTAX = Pattern.compile("(\\d{1,10})(?:\\s*-\\s*(\\d{1,10}))?");

    public UidRange {
        if (first < 0 || last > MAX_UID || first > last) {
            throw new IllegalArgumentException("uid range " + first + "-" + last + " is empty or out of 0-" + MAX_UID);
        }
    }

    public static UidRange parse(String text) {
        Matcher m = SYNTAX.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a uid or a range like 1000-59999");
        }
        try {
            long first = Long.parseLong(m.group(1));
            return new UidRange(first, m.group(2) == null ? first : Long.parseLong(m.group(2)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is out of the uid range");
        }
    }

    public boolean contains(long uid) {
        return uid >= first && uid <= last;
    }

    @Override
    public String toString() {
        return first == last ? Long.toString(first) : first + "-" + last;
    }
}
