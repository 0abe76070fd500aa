package org.keyinitd.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class FrameCodecPropertiesTest {

    @Property(tries = 2000)
    void decodingArbitraryBytesEitherSucceedsOrFailsWithAProtocolError(@ForAll byte[] body) {
        try {
            FrameCodec.decodeFields(body);
        } catch (ProtocolException e) {
            assertThat(e.status()).isEqualTo(Status.BAD_REQUEST);
            assertThat(e.getMessage()).isNotBlank();
        }
    }

    @Property(tries = 500)
    void everyValidOpenRequestRoundTrips(@ForAll("openRequests") OpenRequest req) throws Exception {
        byte[] frame = FrameCodec.encodeRequest(Op.OPEN.code(), req.toFields());
        Header h = FrameCodec.decodeHeader(ByteBuffer.wrap(frame), 65535);
        assertThat(h.bodyLength()).isEqualTo(frame.length - FrameCodec.HEADER_SIZE);
        Fields f = FrameCodec.decodeFields(Arrays.copyOfRange(frame, FrameCodec.HEADER_SIZE, frame.length));
        assertThat(OpenRequest.from(f)).isEqualTo(req);
    }

    @Provide
    Arbitrary<OpenRequest> openRequests() {
        Arbitrary<String> names = Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(32);
        Arbitrary<String> text = Arbitraries.strings().ofMaxLength(60).filter(s -> s.indexOf('\0') < 0)
                .filter(s -> s.equals(new String(s.getBytes(UTF_8), UTF_8))); // no lone surrogates
        Arbitrary<Long> ids = Arbitraries.longs().between(0, 0xFFFF_FFFFL);
        return Combinators.combine(names, names, ids, ids, text.optional(), text.optional(),
                Arbitraries.integers().between(0, 7), Arbitraries.of(true, false))
                .as((svc, user, uid, gid, tty, rhost, flags, has) -> new OpenRequest(svc, user, uid, gid,
                        tty, rhost, Optional.empty(), ModuleFlags.fromBits(flags),
                        has ? CallerKeyring.OWN : CallerKeyring.FOREIGN, java.util.OptionalLong.of(uid * 1000L)));
    }
}
