package org.keyinitd.fuzz;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import org.keyinitd.protocol.CloseRequest;
import org.keyinitd.protocol.Field;
import org.keyinitd.protocol.FieldType;
import org.keyinitd.protocol.Fields;
import org.keyinitd.protocol.FrameCodec;
import org.keyinitd.protocol.Header;
import org.keyinitd.protocol.Op;
import org.keyinitd.protocol.OpenRequest;
import org.keyinitd.protocol.ProtocolException;
import org.keyinitd.protocol.Reply;
import org.keyinitd.protocol.SessionId;
import org.keyinitd.protocol.Status;

/**
 * Jazzer fuzz test of the daemon's frame decoder: arbitrary bytes go through
 * {@link FrameCodec#decodeHeader}, {@link FrameCodec#decodeFields}, {@link OpenRequest#from} and
 * {@link CloseRequest#from}, as the server would take them. The only acceptable failure is a
 * {@link ProtocolException} with a status and a non-blank message, whose error reply is itself a
 * valid frame; whatever decodes must re-encode to a frame that decodes to the same fields.
 *
 * <p>Each input is used three ways (like pam-shim/fuzz/reply_fuzz.c): as a whole frame; as a body
 * alone; and as a recipe for a mostly well-formed body ({@link #synthBody}), so that string
 * lengths at and around each limit are one mutation away.
 *
 * <p>{@code mvn verify} runs only the stored inputs in
 * {@code src/test/resources/org/keyinitd/fuzz/FrameDecoderFuzzTestInputs/decodeFrame/} (seeds and
 * every crash ever found; Jazzer writes new findings there itself). Fuzzing: {@code
 * scripts/fuzz.sh}, or {@code JAZZER_FUZZ=1 JAZZER_INSTRUMENTATION_INCLUDES='org.keyinitd.**'
 * [JAZZER_MAX_DURATION=1h] mvn -pl daemon test -Dtest=FrameDecoderFuzzTest}.
 */
class FrameDecoderFuzzTest {
    private static final int MAX_BODY = FrameCodec.DEFAULT_MAX_BODY;
    private static final int HEADER = FrameCodec.HEADER_SIZE;

    @FuzzTest(maxDuration = "30s")
    void decodeFrame(byte[] input) {
        wholeFrame(input);
        if (input.length <= MAX_BODY) {
            body(input.length > 0 ? input[0] & 0xFF : Op.OPEN.code(), input);
        }
        body(input.length > 1 ? input[1] & 0xFF : Op.CLOSE.code(), synthBody(input));
    }

    /** The input as the server reads a frame: the 12-byte header, then at most body_length bytes. */
    private static void wholeFrame(byte[] input) {
        ByteBuffer buf = ByteBuffer.wrap(input);
        boolean headerOk = input.length >= HEADER
                && ByteBuffer.wrap(input).getInt() == FrameCodec.MAGIC
                && input[4] == FrameCodec.VERSION
                && (ByteBuffer.wrap(input, 8, 4).getInt() & 0xFFFF_FFFFL) <= MAX_BODY;
        int rawOp = input.length > 5 ? input[5] & 0xFF : 0;
        Header h;
        try {
            h = FrameCodec.decodeHeader(buf, MAX_BODY);
        } catch (ProtocolException e) {
            check(!headerOk, "a valid header was rejected: " + e.getMessage());
            rejected(e, true, rawOp);
            return;
        }
        check(headerOk, "an invalid header was accepted");
        check(buf.position() == HEADER, "decodeHeader consumed " + buf.position() + " bytes");
        ByteBuffer raw = ByteBuffer.wrap(input);
        check(h.version() == FrameCodec.VERSION, "version " + h.version());
        check(h.op() == rawOp, "op " + h.op() + " for byte " + rawOp);
        check(h.status() == (raw.getShort(6) & 0xFFFF), "status " + h.status());
        check(h.bodyLength() == raw.getInt(8) && h.bodyLength() >= 0 && h.bodyLength() <= MAX_BODY,
                "body length " + h.bodyLength());
        int n = Math.min(h.bodyLength(), input.length - HEADER); // a short body: what arrived
        body(h.op(), Arrays.copyOfRange(input, HEADER, HEADER + n));
    }

    /** A body as {@code Connection.handle} takes it: fields, then the request they make. */
    private static void body(int op, byte[] body) {
        Fields f;
        try {
            f = FrameCodec.decodeFields(body);
        } catch (ProtocolException e) {
            rejected(e, false, op);
            return;
        }
        checkFields(f, body.length);
        checkAgainstWire(f, body);
        roundTrip(op, f, body.length);
        openRequest(f);
        closeRequest(f);
    }

    /** Every value has its field's Java type and satisfies the field's wire rules. */
    private static void checkFields(Fields f, int bodyLength) {
        for (Map.Entry<Field, Object> e : f.asMap().entrySet()) {
            Field field = e.getKey();
            Object v = e.getValue();
            check(field != null && v != null, "null in " + f);
            switch (field.type()) {
                case STR -> {
                    check(v instanceof String, field + " is a " + v.getClass());
                    String s = (String) v;
                    byte[] utf8 = s.getBytes(UTF_8);
                    check(new String(utf8, UTF_8).equals(s), field + " is not well-formed UTF-16");
                    check(s.indexOf('\0') < 0, field + " contains a NUL");
                    int limit = field == Field.DATA ? bodyLength : field.maxLength();
                    check(utf8.length <= limit, field + " is " + utf8.length + " bytes, limit " + limit);
                }
                case U32 -> check(v instanceof Long l && l >= 0 && l <= 0xFFFF_FFFFL, field + " = " + v);
                case I32 -> check(v instanceof Integer, field + " is a " + v.getClass());
                case BOOL -> check(v instanceof Boolean, field + " is a " + v.getClass());
            }
        }
    }

    /**
     * The body, walked here independently of FrameCodec, holds exactly the decoded fields: every
     * known field well-formed and given once (DATA: its parts concatenated), with the same value.
     */
    private static void checkAgainstWire(Fields f, byte[] body) {
        ByteBuffer b = ByteBuffer.wrap(body);
        EnumSet<Field> seen = EnumSet.noneOf(Field.class);
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        while (b.hasRemaining()) {
            check(b.remaining() >= FrameCodec.FIELD_HEADER_SIZE, "accepted a truncated field header");
            int tag = b.getShort() & 0xFFFF;
            int type = b.get() & 0xFF;
            int len = b.getShort() & 0xFFFF;
            check(len <= b.remaining(), "accepted a field running past the body: tag " + tag);
            byte[] v = new byte[len];
            b.get(v);
            Field field = Field.byTag(tag);
            if (field == null) {
                continue;
            }
            check(type == field.type().code(), "accepted " + field + " with type " + type);
            if (field.repeatable()) {
                seen.add(field);
                data.write(v, 0, len);
                continue;
            }
            check(seen.add(field), "accepted " + field + " twice");
            Object got = f.asMap().get(field);
            check(got != null, field + " is in the body but not in " + f);
            ByteBuffer value = ByteBuffer.wrap(v);
            switch (field.type()) {
                case STR -> {
                    check(len <= field.maxLength(), "accepted " + field + " of " + len + " bytes");
                    for (byte x : v) {
                        check(x != 0, "accepted " + field + " with a NUL byte");
                    }
                    check(Arrays.equals(((String) got).getBytes(UTF_8), v),
                            field + " decoded to " + got + ", not to its bytes (invalid UTF-8 accepted?)");
                }
                case U32 -> check(len == 4 && got.equals(value.getInt() & 0xFFFF_FFFFL), field + " = " + got);
                case I32 -> check(len == 4 && got.equals(value.getInt()), field + " = " + got);
                case BOOL -> check(len == 1 && (v[0] == 0 || v[0] == 1) && got.equals(v[0] == 1),
                        field + " = " + got + " from " + len + " bytes");
            }
        }
        if (seen.contains(Field.DATA)) {
            check(Arrays.equals(f.string(Field.DATA).orElse("").getBytes(UTF_8), data.toByteArray()),
                    "DATA is not its parts concatenated");
        }
        check(seen.equals(f.asMap().keySet()), "decoded " + f.asMap().keySet() + " from a body with " + seen);
    }

    /** Decoded fields re-encode (as a request and as a reply) to a frame with the same fields. */
    private static void roundTrip(int op, Fields f, int bodyLength) {
        byte[] frame = FrameCodec.encodeRequest(op, f);
        check(frame.length - HEADER <= bodyLength,
                "canonical encoding is longer (" + (frame.length - HEADER) + ") than the input body (" + bodyLength + ")");
        Header h = mustDecodeHeader(frame);
        check(h.op() == (op & 0xFF) && h.status() == 0, "re-encoded header " + h);
        Fields again = mustDecodeFields(frame);
        check(again.asMap().equals(f.asMap()), "round trip changed the fields: " + f + " -> " + again);
        check(Arrays.equals(FrameCodec.encodeRequest(op, again), frame), "encoding is not canonical");

        Status status = Status.values()[(op & 0x7F) % Status.values().length];
        byte[] reply = FrameCodec.encodeReply(new Reply(op & 0x7F, status, f));
        Header rh = mustDecodeHeader(reply);
        check(rh.op() == ((op & 0x7F) | Op.REPLY_BIT) && rh.status() == status.code(), "reply header " + rh);
        check(mustDecodeFields(reply).asMap().equals(f.asMap()), "reply round trip changed the fields");
    }

    /** OpenRequest.from accepts exactly the fields docs/protocol.md requires (and a non-empty USER). */
    private static void openRequest(Fields f) {
        boolean complete = f.has(Field.SERVICE) && f.has(Field.USER) && f.has(Field.UID) && f.has(Field.GID)
                && f.has(Field.MODULE_FLAGS) && f.has(Field.HAS_SESSION_KEYRING)
                && !f.string(Field.USER).orElse("").isEmpty();
        OpenRequest req;
        try {
            req = OpenRequest.from(f);
        } catch (ProtocolException e) {
            check(!complete, "a complete OPEN was rejected: " + e.getMessage());
            rejected(e, false, Op.OPEN.code());
            return;
        }
        check(complete, "an incomplete OPEN was accepted: " + f);
        check(req.service().equals(f.string(Field.SERVICE).orElseThrow())
                && req.user().equals(f.string(Field.USER).orElseThrow())
                && req.uid() == f.u32(Field.UID).orElseThrow()
                && req.gid() == f.u32(Field.GID).orElseThrow()
                && req.tty().equals(f.string(Field.TTY))
                && req.rhost().equals(f.string(Field.RHOST))
                && req.ruser().equals(f.string(Field.RUSER))
                && req.hasSessionKeyring() == f.bool(Field.HAS_SESSION_KEYRING).orElseThrow(),
                "OpenRequest " + req + " does not match " + f);
        byte[] frame = FrameCodec.encodeRequest(Op.OPEN.code(), req.toFields());
        try {
            check(OpenRequest.from(mustDecodeFields(frame)).equals(req), "OPEN round trip changed " + req);
        } catch (ProtocolException e) {
            throw new AssertionError("re-encoded OPEN rejected: " + e.getMessage() + " for " + req, e);
        }
    }

    private static void closeRequest(Fields f) {
        // complete: a SESSION_ID of the form the daemon makes (anything else is BAD_REQUEST)
        boolean complete = f.string(Field.SESSION_ID).filter(SessionId::isValid).isPresent();
        CloseRequest req;
        try {
            req = CloseRequest.from(f);
        } catch (ProtocolException e) {
            check(!complete, "a complete CLOSE was rejected: " + e.getMessage());
            rejected(e, false, Op.CLOSE.code());
            return;
        }
        check(complete, "a CLOSE without a valid SESSION_ID was accepted: " + f);
        check(req.sessionId().equals(f.string(Field.SESSION_ID).orElseThrow())
                && req.joinedSerial().equals(f.i32(Field.KEYRING_SERIAL))
                && req.abort() == f.bool(Field.ABORT).orElse(false),
                "CloseRequest " + req + " does not match " + f);
        byte[] frame = FrameCodec.encodeRequest(Op.CLOSE.code(), req.toFields());
        try {
            check(CloseRequest.from(mustDecodeFields(frame)).equals(req), "CLOSE round trip changed " + req);
        } catch (ProtocolException e) {
            throw new AssertionError("re-encoded CLOSE rejected: " + e.getMessage() + " for " + req, e);
        }
    }

    /**
     * A rejection is a ProtocolException with a status and a one-line message, and the error reply
     * the server sends for it (Connection: {@code Reply.error(op, status, message)}) is a valid frame
     * carrying that status and (a prefix of) that message.
     */
    private static void rejected(ProtocolException e, boolean header, int op) {
        String message = e.getMessage();
        check(message != null && !message.isBlank(), "ProtocolException without a message");
        check(message.indexOf('\n') < 0 && message.indexOf('\r') < 0, "multi-line message: " + message);
        check(e.status() != null && e.status() != Status.OK, "status " + e.status() + " for: " + message);
        if (header) {
            check(e.mustClose(), "a header error that keeps the connection: " + message);
            check(e.status() == Status.BAD_REQUEST || e.status() == Status.BAD_VERSION
                    || e.status() == Status.TOO_LARGE, "header error with status " + e.status());
        } else {
            check(!e.mustClose(), "a body error that closes the connection: " + message);
            check(e.status() == Status.BAD_REQUEST, "body error with status " + e.status() + ": " + message);
        }
        Reply reply = Reply.error(op, e.status(), message);
        byte[] frame = FrameCodec.encodeReply(reply);
        Header h = mustDecodeHeader(frame);
        check(h.status() == e.status().code() && h.op() == ((op | Op.REPLY_BIT) & 0xFF), "error reply header " + h);
        Optional<String> sent = mustDecodeFields(frame).string(Field.MESSAGE);
        check(sent.isPresent() && !sent.get().isEmpty() && message.startsWith(sent.get()),
                "error reply MESSAGE " + sent + " for " + message);
    }

    /**
     * The input as a recipe for a body. Each field takes 4 bytes: tag (mod 26: 0 and 24, 25 are
     * unknown), control, length (16 bits, clipped to the room left in 2 * MAX_BODY). Control bit 7
     * set: the wire type is control & 7 (maybe wrong), else the field's own type (STR for unknown
     * tags). Control bits 4-6 pick the value: 0 ASCII letters, 1 the next n recipe bytes as they
     * are, 2 "é" repeated, 3 "€" repeated, 4 an emoji repeated (2-4 leave a cut sequence when n is
     * not a multiple), 5 the next recipe byte repeated, 6-7 ASCII digits.
     */
    static byte[] synthBody(byte[] d) {
        byte[][] fills = {null, null, "é".getBytes(UTF_8), "€".getBytes(UTF_8), "😀".getBytes(UTF_8)};
        ByteBuffer out = ByteBuffer.allocate(2 * MAX_BODY);
        int i = 0;
        while (d.length - i >= 4 && out.remaining() >= FrameCodec.FIELD_HEADER_SIZE) {
            int tag = (d[i] & 0xFF) % 26;
            int ctl = d[i + 1] & 0xFF;
            int mode = (ctl >> 4) & 7;
            int n = ((d[i + 2] & 0xFF) << 8) | (d[i + 3] & 0xFF);
            i += 4;
            Field field = Field.byTag(tag);
            int type = (ctl & 0x80) != 0 ? ctl & 7 : field != null ? field.type().code() : FieldType.STR.code();
            n = Math.min(n, out.remaining() - FrameCodec.FIELD_HEADER_SIZE);
            out.putShort((short) tag).put((byte) type).putShort((short) n);
            for (int k = 0; k < n; k++) {
                byte b;
                switch (mode) {
                    case 0 -> b = (byte) ('a' + k % 26);
                    case 1 -> b = i < d.length ? d[i++] : (byte) 'z';
                    case 2, 3, 4 -> b = fills[mode][k % fills[mode].length];
                    case 5 -> b = i < d.length ? d[i] : 0;
                    default -> b = (byte) ('0' + k % 10);
                }
                out.put(b);
            }
            if (mode == 5 && i < d.length) {
                i++;
            }
        }
        return Arrays.copyOf(out.array(), out.position());
    }

    private static Header mustDecodeHeader(byte[] frame) {
        try {
            Header h = FrameCodec.decodeHeader(ByteBuffer.wrap(frame), Integer.MAX_VALUE);
            check(h.bodyLength() == frame.length - HEADER, "body_length " + h.bodyLength() + " for " + frame.length);
            return h;
        } catch (ProtocolException e) {
            throw new AssertionError("our own encoding was rejected: " + e.getMessage(), e);
        }
    }

    private static Fields mustDecodeFields(byte[] frame) {
        try {
            return FrameCodec.decodeFields(Arrays.copyOfRange(frame, HEADER, frame.length));
        } catch (ProtocolException e) {
            throw new AssertionError("our own encoding was rejected: " + e.getMessage(), e);
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
