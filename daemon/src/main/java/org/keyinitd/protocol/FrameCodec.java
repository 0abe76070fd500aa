package org.keyinitd.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Map;

/** Encodes and decodes protocol v1 frames (docs/protocol.md). Stateless and thread-safe. */
public final class FrameCodec {
    public static final int MAGIC = 0x4B494450; // "KIDP"
    public static final int VERSION = 1;
    public static final int HEADER_SIZE = 12;
    public static final int FIELD_HEADER_SIZE = 5;
    public static final int DEFAULT_MAX_BODY = 4096;

    private FrameCodec() {
    }

    /**
     * Checks a header before any body byte is read. Errors here leave the stream out of sync, so
     * they all demand that the connection be closed after the reply.
     */
    public static Header decodeHeader(ByteBuffer buf, int maxBody) throws ProtocolException {
        if (buf.remaining() < HEADER_SIZE) {
            throw new ProtocolException(Status.BAD_REQUEST, "truncated header", true);
        }
        int magic = buf.getInt();
        int version = buf.get() & 0xFF;
        int op = buf.get() & 0xFF;
        int status = buf.getShort() & 0xFFFF;
        long length = buf.getInt() & 0xFFFF_FFFFL;
        if (magic != MAGIC) {
            throw new ProtocolException(Status.BAD_REQUEST,
                    String.format("bad magic 0x%08X (expected 0x%08X)", magic, MAGIC), true);
        }
        if (version != VERSION) {
            throw new ProtocolException(Status.BAD_VERSION,
                    "unsupported protocol version " + version + "; this daemon speaks version " + VERSION, true);
        }
        if (length > maxBody) {
            throw new ProtocolException(Status.TOO_LARGE,
                    "body of " + length + " bytes exceeds the limit of " + maxBody, true);
        }
        return new Header(version, op, status, (int) length);
    }

    /** Decodes a body into fields: unknown tags skipped, known ones validated strictly. */
    public static Fields decodeFields(byte[] body) throws ProtocolException {
        ByteBuffer buf = ByteBuffer.wrap(body);
        Fields.Builder builder = Fields.builder();
        EnumSet<Field> seen = EnumSet.noneOf(Field.class);
        ByteArrayOutputStream data = null;
        while (buf.hasRemaining()) {
            if (buf.remaining() < FIELD_HEADER_SIZE) {
                throw new ProtocolException(Status.BAD_REQUEST, "truncated field header at byte " + buf.position());
            }
            int tag = buf.getShort() & 0xFFFF;
            int type = buf.get() & 0xFF;
            int length = buf.getShort() & 0xFFFF;
            if (length > buf.remaining()) {
                throw new ProtocolException(Status.BAD_REQUEST,
                        "truncated field: tag " + tag + " declares " + length + " bytes, " + buf.remaining() + " left");
            }
            Field field = Field.byTag(tag);
            if (field == null) {
                buf.position(buf.position() + length); // unknown: ignored for forward compatibility
                continue;
            }
            if (field.repeatable() && type == field.type().code()) {
                data = data == null ? new ByteArrayOutputStream() : data;
                data.write(buf.array(), buf.arrayOffset() + buf.position(), length);
                buf.position(buf.position() + length);
                continue;
            }
            if (!seen.add(field)) {
                throw new ProtocolException(Status.BAD_REQUEST, "field " + field + " given twice");
            }
            decodeValue(field, type, length, buf, builder);
        }
        if (data != null) {
            builder.put(Field.DATA, utf8(Field.DATA, ByteBuffer.wrap(data.toByteArray())));
        }
        return builder.build();
    }

    private static void decodeValue(Field field, int type, int length, ByteBuffer buf, Fields.Builder out)
            throws ProtocolException {
        if (type != field.type().code()) {
            throw new ProtocolException(Status.BAD_REQUEST,
                    "field " + field + " has type " + type + ", expected " + field.type().code() + " (" + field.type() + ")");
        }
        int fixed = field.type().fixedLength();
        if (fixed >= 0 && length != fixed) {
            throw new ProtocolException(Status.BAD_REQUEST,
                    "field " + field + " has length " + length + ", expected " + fixed);
        }
        switch (field.type()) {
            case STR -> out.put(field, decodeString(field, length, buf));
            case U32 -> out.putU32(field, buf.getInt() & 0xFFFF_FFFFL);
            case I32 -> out.putI32(field, buf.getInt());
            case U64 -> out.putU64(field, buf.getLong());
            case BOOL -> {
                int b = buf.get() & 0xFF;
                if (b > 1) {
                    throw new ProtocolException(Status.BAD_REQUEST, "field " + field + " is not 0 or 1");
                }
                out.put(field, b == 1);
            }
        }
    }

    private static String decodeString(Field field, int length, ByteBuffer buf) throws ProtocolException {
        if (length > field.maxLength()) {
            throw new ProtocolException(Status.BAD_REQUEST,
                    "field " + field + " is " + length + " bytes, limit " + field.maxLength());
        }
        ByteBuffer slice = buf.slice();
        slice.limit(length);
        buf.position(buf.position() + length);
        return utf8(field, slice);
    }

    private static String utf8(Field field, ByteBuffer slice) throws ProtocolException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        CharBuffer chars;
        try {
            chars = decoder.decode(slice);
        } catch (CharacterCodingException e) {
            throw new ProtocolException(Status.BAD_REQUEST, "field " + field + " is not valid UTF-8");
        }
        String value = chars.toString();
        if (value.indexOf('\0') >= 0) {
            throw new ProtocolException(Status.BAD_REQUEST, "field " + field + " contains a NUL byte");
        }
        return value;
    }

    /** Encodes a request frame (clients and tests). */
    public static byte[] encodeRequest(int opCode, Fields fields) {
        return encode(opCode, 0, fields);
    }

    /** Encodes a reply frame; the reply bit is set on the op code. */
    public static byte[] encodeReply(Reply reply) {
        return encode(reply.opCode() | Op.REPLY_BIT, reply.status().code(), reply.fields());
    }

    private static byte[] encode(int opCode, int status, Fields fields) {
        ByteArrayOutputStream body = new ByteArrayOutputStream(128);
        for (Map.Entry<Field, Object> e : fields.asMap().entrySet()) {
            writeField(body, e.getKey(), e.getValue());
        }
        ByteBuffer frame = ByteBuffer.allocate(HEADER_SIZE + body.size());
        frame.putInt(MAGIC).put((byte) VERSION).put((byte) opCode).putShort((short) status).putInt(body.size());
        frame.put(body.toByteArray());
        return frame.array();
    }

    private static void writeField(ByteArrayOutputStream out, Field field, Object value) {
        if (field.repeatable()) {
            byte[] all = ((String) value).getBytes(StandardCharsets.UTF_8);
            for (int off = 0; off == 0 || off < all.length; off += field.maxLength()) {
                writeRaw(out, field, java.util.Arrays.copyOfRange(all, off, Math.min(all.length, off + field.maxLength())));
            }
            return;
        }
        byte[] bytes = switch (field.type()) {
            case STR -> ((String) value).getBytes(StandardCharsets.UTF_8);
            case U32 -> ByteBuffer.allocate(4).putInt((int) (long) (Long) value).array();
            case I32 -> ByteBuffer.allocate(4).putInt((Integer) value).array();
            case U64 -> ByteBuffer.allocate(8).putLong((Long) value).array();
            case BOOL -> new byte[] {(byte) (((Boolean) value) ? 1 : 0)};
        };
        writeRaw(out, field, bytes);
    }

    private static void writeRaw(ByteArrayOutputStream out, Field field, byte[] bytes) {
        ByteBuffer header = ByteBuffer.allocate(FIELD_HEADER_SIZE)
                .putShort((short) field.tag()).put((byte) field.type().code()).putShort((short) bytes.length);
        out.write(header.array(), 0, FIELD_HEADER_SIZE);
        out.write(bytes, 0, bytes.length);
    }
}
