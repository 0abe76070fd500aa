package org.keyinitd.policy;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code max_lifetime} values: a duration written as numbers with units, {@code "90s"},
 * {@code "30m"}, {@code "8h"}, {@code "1d"}, or combined, {@code "1h30m"}. The kernel counts a
 * key's expiry in whole seconds, so that is the resolution; at most {@link #MAX}.
 */
public final class Lifetime {
    public static final Duration MAX = Duration.ofDays(366);
    /** No limit: the keyring lives as long as its session. */
    public static final Duration NONE = Duration.ZERO;

    private static final Pattern WHOLE = Pattern.compile("(\\d{1,9}[smhd])+");
    private static final Pattern PART = Pattern.compile("(\\d{1,9})([smhd])");

    private Lifetime() {
    }

    public static Duration parse(String text) {
        if (text == null || !WHOLE.matcher(text).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration such as \"90s\", \"30m\", \"8h\","
                    + " \"1d\" or \"1h30m\"");
        }
        Duration total = Duration.ZERO;
        Matcher m = PART.matcher(text);
        while (m.find()) {
            long n = Long.parseLong(m.group(1));
            total = total.plus(switch (m.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            });
        }
        if (total.isZero()) {
            throw new IllegalArgumentException("'" + text + "' is no time at all; leave max_lifetime out for no limit");
        }
        if (total.compareTo(MAX) > 0) {
            throw new IllegalArgumentException("'" + text + "' is longer than the most, 366d");
        }
        return total;
    }

    /** As written in config and audit: the largest units that add up exactly ("1h30m"). */
    public static String format(Duration d) {
        long s = d.toSeconds();
        StringBuilder out = new StringBuilder();
        long[] sizes = {86_400, 3_600, 60, 1};
        String[] units = {"d", "h", "m", "s"};
        for (int i = 0; i < sizes.length; i++) {
            if (s >= sizes[i]) {
                out.append(s / sizes[i]).append(units[i]);
                s %= sizes[i];
            }
        }
        return out.length() == 0 ? "none" : out.toString();
    }
}
