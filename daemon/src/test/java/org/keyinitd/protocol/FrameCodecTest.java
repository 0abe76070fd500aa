package org.keyinitd.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FrameCodecTest {

    private static final OpenRequest OPEN = new OpenRequest("sshd", "alice", 1001, 1001,
            Optional.of("pts/1"), Optional.of("10.0.0.5"), Optional.empty(),
            new ModuleFlags(true, true, false), CallerKeyring.NONE,
            java.util.OptionalLong.of(123_456_789_000L));

    @Test
    void openRequestSurvivesEncodeAndDecode() throws Exception {
        byte[] frame = FrameCodec.encodeRequest(Op.OPEN.code(), OPEN.toFields());
        ByteBuffer buf = ByteBuffer.wrap(frame);
        Header h = FrameCodec.decodeHeader(buf, FrameCodec.DEFAULT_MAX_BODY);
        assertThat(h.op()).isEqualTo(Op.OPEN.code());
        assertThat(h.bodyLength()).isEqualTo(frame.length - FrameCodec.HEADER_SIZE);
        byte[] body = Arrays.copyOfRange(frame, FrameCodec.HEADER_SIZE, frame.length);
        assertThat(OpenRequest.from(FrameCodec.decodeFields(body))).isEqualTo(OPEN);
    }

    @Test
    void pingReplyMatchesTheExampleInTheProtocolDocument() {
        byte[] frame = FrameCodec.encodeReply(Reply.ok(Op.PING,
                Fields.builder().put(Field.SERVER_VERSION, "0.1.0").build()));
        assertThat(hex(frame)).isEqualTo("4B494450018100000000000A0011010005302E312E30");
    }

    @Test
    void wrongMagicIsRejectedBeforeTheBody() {
        ByteBuffer buf = header(0x12345678, 1, 1, 0);
        assertThatThrownBy(() -> FrameCodec.decodeHeader(buf, 4096))
                .isInstanceOfSatisfying(ProtocolException.class, e -> {
                    assertThat(e.status()).isEqualTo(Status.BAD_REQUEST);
                    assertThat(e.mustClose()).isTrue();
                    assertThat(e.getMessage()).contains("bad magic");
                });
    }

    @Test
    void otherVersionIsAnsweredWithBadVersionNamingBoth() {
        ByteBuffer buf = header(FrameCodec.MAGIC, 2, 1, 0);
        assertThatThrownBy(() -> FrameCodec.decodeHeader(buf, 4096))
                .isInstanceOfSatisfying(ProtocolException.class, e -> {
                    assertThat(e.status()).isEqualTo(Status.BAD_VERSION);
                    assertThat(e.getMessage()).contains("version 2").contains("version 1");
                });
    }

    @Test
    void oversizedBodyIsRejectedFromTheHeaderAlone() {
        ByteBuffer buf = header(FrameCodec.MAGIC, 1, 2, 4097);
        assertThatThrownBy(() -> FrameCodec.decodeHeader(buf, 4096))
                .isInstanceOfSatisfying(ProtocolException.class,
                        e -> assertThat(e.status()).isEqualTo(Status.TOO_LARGE));
    }

    @Test
    void unknownTagsAreSkipped() throws Exception {
        byte[] known = body(Field.USER.tag(), 1, "bob".getBytes(StandardCharsets.UTF_8));
        byte[] unknown = body(999, 1, "future".getBytes(StandardCharsets.UTF_8));
        Fields f = FrameCodec.decodeFields(concat(unknown, known));
        assertThat(f.string(Field.USER)).contains("bob");
        assertThat(f.asMap()).hasSize(1);
    }

    @Test
    void knownTagWithWrongTypeNamesTheField() {
        byte[] b = body(Field.UID.tag(), FieldType.STR.code(), "1000".getBytes(StandardCharsets.UTF_8));
        assertBadRequest(b, "UID");
    }

    @Test
    void wrongFixedLengthIsRejected() {
        assertBadRequest(body(Field.UID.tag(), FieldType.U32.code(), new byte[] {0, 1}), "length 2");
    }

    @Test
    void truncatedFieldIsRejected() {
        byte[] b = body(Field.USER.tag(), 1, "alice".getBytes(StandardCharsets.UTF_8));
        assertBadRequest(Arrays.copyOf(b, b.length - 2), "truncated");
        assertBadRequest(Arrays.copyOf(b, 3), "truncated");
    }

    @Test
    void invalidUtf8IsRejected() {
        assertBadRequest(body(Field.USER.tag(), 1, new byte[] {(byte) 0xC3, (byte) 0x28}), "UTF-8");
    }

    @Test
    void embeddedNulIsRejected() {
        assertBadRequest(body(Field.USER.tag(), 1, new byte[] {'a', 0, 'b'}), "NUL");
    }

    @Test
    void overlongStringIsRejected() {
        assertBadRequest(body(Field.USER.tag(), 1, new byte[257]), "limit 256");
    }

    @Test
    void duplicateFieldIsRejected() {
        byte[] one = body(Field.USER.tag(), 1, "a".getBytes(StandardCharsets.UTF_8));
        assertBadRequest(concat(one, one), "twice");
    }

    @Test
    void boolOtherThanZeroOrOneIsRejected() {
        assertBadRequest(body(Field.ABORT.tag(), FieldType.BOOL.code(), new byte[] {2}), "ABORT");
    }

    @Test
    void missingRequiredFieldIsNamed() {
        Fields f = Fields.builder().put(Field.SERVICE, "login").build();
        assertThatThrownBy(() -> OpenRequest.from(f)).hasMessageContaining("USER");
    }

    @Test
    void u32RoundTripsValuesAboveIntMax() throws Exception {
        byte[] frame = FrameCodec.encodeRequest(Op.OPEN.code(), Fields.builder().putU32(Field.UID, 4_294_967_294L).build());
        Fields f = FrameCodec.decodeFields(Arrays.copyOfRange(frame, FrameCodec.HEADER_SIZE, frame.length));
        assertThat(f.u32(Field.UID)).contains(4_294_967_294L);
    }

    @Test
    void longMessagesAreCutToTheFieldLimit() {
        Reply r = Reply.error(Op.OPEN.code(), Status.FAILED, "é".repeat(2000));
        assertThat(r.message().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(Field.MESSAGE.maxLength());
    }

    private static void assertBadRequest(byte[] body, String expectedText) {
        assertThatThrownBy(() -> FrameCodec.decodeFields(body))
                .isInstanceOfSatisfying(ProtocolException.class, e -> {
                    assertThat(e.status()).isEqualTo(Status.BAD_REQUEST);
                    assertThat(e.getMessage()).contains(expectedText);
                });
    }

    static ByteBuffer header(int magic, int version, int op, long length) {
        ByteBuffer b = ByteBuffer.allocate(12).putInt(magic).put((byte) version).put((byte) op).putShort((short) 0)
                .putInt((int) length);
        return b.flip();
    }

    static byte[] body(int tag, int type, byte[] value) {
        return ByteBuffer.allocate(5 + value.length).putShort((short) tag).put((byte) type)
                .putShort((short) value.length).put(value).array();
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(String.format("%02X", x));
        }
        return sb.toString();
    }
}
