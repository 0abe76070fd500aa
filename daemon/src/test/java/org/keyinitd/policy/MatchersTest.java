package org.keyinitd.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

/** Globs, CIDR blocks and uid ranges: examples and properties. */
class MatchersTest {

    // ---- globs ----

    @Property
    void aGlobWithoutWildcardsMatchesOnlyItself(@ForAll("plainText") String s, @ForAll("plainText") String other) {
        assertThat(Glob.compile(s).matches(s)).isTrue();
        assertThat(Glob.compile(s).matches(other)).isEqualTo(s.equals(other));
    }

    @Property
    void starMatchesAnyRunIncludingSlash(@ForAll("plainText") String prefix, @ForAll String middle,
                                         @ForAll("plainText") String suffix) {
        assertThat(Glob.compile(prefix + "*" + suffix).matches(prefix + middle + suffix)).isTrue();
    }

    @Property
    void questionMarkMatchesExactlyOneCharacter(@ForAll("plainText") String prefix, @ForAll char c) {
        Glob g = Glob.compile(prefix + "?");
        assertThat(g.matches(prefix + c)).isTrue();
        assertThat(g.matches(prefix)).isFalse();
        assertThat(g.matches(prefix + c + c)).isFalse();
    }

    @Property
    void regexMetacharactersAreLiteral(@ForAll("regexy") String s) {
        assertThat(Glob.compile(s).matches(s)).isTrue();
    }

    @Test
    void characterClasses() {
        assertThat(Glob.compile("tty[1-3]").matches("tty2")).isTrue();
        assertThat(Glob.compile("tty[1-3]").matches("tty4")).isFalse();
        assertThat(Glob.compile("tty[!1-3]").matches("tty4")).isTrue();
        assertThat(Glob.compile("[ab]*").matches("bob")).isTrue();
        assertThat(Glob.compile("pts/*").matches("pts/12")).isTrue();
        assertThat(Glob.compile("*").matches("pts/12")).isTrue();
        assertThatThrownBy(() -> Glob.compile("tty[12")).hasMessageContaining("unclosed '['");
    }

    /** A name, a prefix, a suffix and "*" are matched as strings: always as the regex would. */
    @Property(tries = 3000)
    void theStringFormsMatchExactlyAsTheRegexDoes(@ForAll("smallGlobs") String glob, @ForAll("smallValues") String value) {
        Glob g = Glob.compile(glob);
        assertThat(g.matches(value)).as("glob %s, value %s", glob, value).isEqualTo(g.matchesByRegex(value));
    }

    @Provide
    Arbitrary<String> smallGlobs() {
        return Arbitraries.strings().withChars("ab.*?/").ofMaxLength(5);
    }

    @Provide
    Arbitrary<String> smallValues() {
        return Arbitraries.strings().withChars("ab./").ofMaxLength(6);
    }

    @Provide
    Arbitrary<String> plainText() {
        return Arbitraries.strings().ofMaxLength(12).filter(s -> s.chars().noneMatch(c -> c == '*' || c == '?' || c == '['));
    }

    @Provide
    Arbitrary<String> regexy() {
        return Arbitraries.strings().withChars(".+()^$|{}\\]a-z").ofMaxLength(10);
    }

    // ---- CIDR ----

    @Property
    void anIpv4AddressIsInsideEveryBlockBuiltFromIt(@ForAll @IntRange(min = 0, max = 255) int a,
                                                    @ForAll @IntRange(min = 0, max = 255) int b,
                                                    @ForAll @IntRange(min = 0, max = 255) int c,
                                                    @ForAll @IntRange(min = 0, max = 255) int d,
                                                    @ForAll @IntRange(min = 0, max = 32) int prefix) {
        String addr = a + "." + b + "." + c + "." + d;
        assertThat(HostPattern.parse(addr + "/" + prefix).matches(addr)).isTrue();
    }

    @Property
    void flippingABitInsideThePrefixLeavesTheBlock(@ForAll @IntRange(min = 0, max = 255) int a,
                                                   @ForAll @IntRange(min = 1, max = 32) int prefix,
                                                   @ForAll @IntRange(min = 0, max = 31) int bit) {
        int ip = (a << 24) | 0x00A0B0C0;
        int flipped = ip ^ (1 << (31 - (bit % prefix)));
        String block = dotted(ip) + "/" + prefix;
        assertThat(HostPattern.parse(block).matches(dotted(flipped))).isFalse();
    }

    @Test
    void cidrExamples() {
        assertThat(HostPattern.parse("10.0.0.0/8").matches("10.200.3.4")).isTrue();
        assertThat(HostPattern.parse("10.0.0.0/8").matches("11.0.0.1")).isFalse();
        assertThat(HostPattern.parse("192.168.1.0/25").matches("192.168.1.127")).isTrue();
        assertThat(HostPattern.parse("192.168.1.0/25").matches("192.168.1.128")).isFalse();
        assertThat(HostPattern.parse("2001:db8::/32").matches("2001:db8:1::5")).isTrue();
        assertThat(HostPattern.parse("2001:db8::/32").matches("2001:db9::5")).isFalse();
        assertThat(HostPattern.parse("10.0.0.0/8").matches("host.example.com")).as("names never resolved").isFalse();
        assertThat(HostPattern.parse("10.0.0.0/8").matches("2001:db8::1")).isFalse();
        assertThat(HostPattern.parse("*.example.com").matches("ws1.example.com")).isTrue();
        assertThat(HostPattern.parse("*.example.com").matches("example.org")).isFalse();
        assertThatThrownBy(() -> HostPattern.parse("10.0.0.0/33")).hasMessageContaining("prefix length must be 0-32");
        assertThatThrownBy(() -> HostPattern.parse("10.0.0.300/8")).hasMessageContaining("not a valid CIDR");
    }

    private static String dotted(int ip) {
        return ((ip >>> 24) & 255) + "." + ((ip >>> 16) & 255) + "." + ((ip >>> 8) & 255) + "." + (ip & 255);
    }

    // ---- uid ranges ----

    @Property
    void aRangeContainsExactlyItsBounds(@ForAll @LongRange(min = 0, max = 100_000) long first,
                                        @ForAll @LongRange(min = 0, max = 100_000) long width,
                                        @ForAll @LongRange(min = 0, max = 300_000) long uid) {
        UidRange r = UidRange.parse(first + "-" + (first + width));
        assertThat(r.contains(uid)).isEqualTo(uid >= first && uid <= first + width);
    }

    @Property
    void aSingleUidIsARangeOfOne(@ForAll @LongRange(min = 0, max = 4_294_967_294L) long uid) {
        assertThat(UidRange.parse(Long.toString(uid)).contains(uid)).isTrue();
        assertThat(UidRange.parse(Long.toString(uid)).contains(uid + 1)).isFalse();
    }

    @Property
    void garbageIsRejectedWithTheText(@ForAll @StringLength(min = 1, max = 8) String junk) {
        if (junk.trim().matches("\\d+(\\s*-\\s*\\d+)?")) {
            return;
        }
        assertThatThrownBy(() -> UidRange.parse(junk)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void emptyRangeIsRejected() {
        assertThatThrownBy(() -> UidRange.parse("2000-1000")).hasMessageContaining("empty");
    }
}
