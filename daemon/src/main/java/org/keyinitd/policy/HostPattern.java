package org.keyinitd.policy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A remote-host pattern: a CIDR block ({@code 10.0.0.0/8}, {@code 2001:db8::/32}) matched
 * against PAM_RHOST when it is an address literal, or a glob ({@code *.example.com}) matched
 * against the text of PAM_RHOST. Never resolves names: no DNS on the login path.
 */
public sealed interface HostPattern {

    boolean matches(String rhost);

    static HostPattern parse(String text) {
        int slash = text.indexOf('/');
        if (slash > 0 && Literal.looksLikeAddress(text.substring(0, slash))) {
            return Cidr.parse(text);
        }
        return new Named(Glob.compile(text));
    }

    /** Glob over the host text. */
    record Named(Glob glob) implements HostPattern {
        @Override
        public boolean matches(String rhost) {
            return glob.matches(rhost);
        }

        @Override
        public String toString() {
            return glob.toString();
        }
    }

    /** An address block. */
    record Cidr(byte[] network, int prefix, String text) implements HostPattern {
        static Cidr parse(String text) {
            int slash = text.indexOf('/');
            byte[] addr = Literal.parse(text.substring(0, slash))
                    .orElseThrow(() -> new IllegalArgumentException("'" + text + "' is not a valid CIDR block"));
            int prefix;
            try {
                prefix = Integer.parseInt(text.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "' has no valid prefix length");
            }
            if (prefix < 0 || prefix > addr.length * 8) {
                throw new IllegalArgumentException("'" + text + "': prefix length must be 0-" + addr.length * 8);
            }
            return new Cidr(addr, prefix, text);
        }

        @Override
        public boolean matches(String rhost) {
            Optional<byte[]> addr = Literal.parse(rhost);
            if (addr.isEmpty() || addr.get().length != network.length) {
                return false;
            }
            byte[] a = addr.get();
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (a[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xFF << (8 - rest)) & 0xFF;
            return (a[full] & mask) == (network[full] & mask);
        }

        @Override
        public String toString() {
            return text;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Cidr c && c.text.equals(text);
        }

        @Override
        public int hashCode() {
            return text.hashCode();
        }
    }

    /** Address literals only; InetAddress would resolve anything else through DNS. */
    final class Literal {
        private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
        private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

        private Literal() {
        }

        static boolean looksLikeAddress(String s) {
            return IPV4.matcher(s).matches() || IPV6.matcher(s).matches();
        }

        static Optional<byte[]> parse(String s) {
            String t = s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
            int zone = t.indexOf('%');
            if (zone >= 0) {
                t = t.substring(0, zone);
            }
            if (!looksLikeAddress(t)) {
                return Optional.empty();
            }
            if (IPV4.matcher(t).matches()) {
                for (String part : t.split("\\.")) {
                    if (Integer.parseInt(part) > 255) {
                        return Optional.empty();
                    }
                }
            }
            try {
                return Optional.of(InetAddress.getByName(t).getAddress()); // a literal: no lookup
            } catch (UnknownHostException e) {
                return Optional.empty();
            }
        }
    }
}
