package org.keyinitd.protocol;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;

/**
 * A fallback record: what the module writes to the spool directory when it could not use the
 * daemon and made the login's keyring in-process (docs/protocol.md, "Fallback records"). One
 * frame in the wire format, never sent on the socket: op {@link #OP}, the OPEN the module could
 * not deliver (without DEADLINE), the keyring it made, the process that made it and why.
 *
 * @param pidStartTime the process's start time, /proc/PID/stat field 22 (0 when the module could not read it)
 */
public record FallbackRecord(
        OpenRequest open,
        int keyringSerial,
        int pid,
        long pidStartTime,
        Instant madeAt,
        String reason) {

    /** The op code of a record; not an {@link Op}: the socket never carries it. */
    public static final int OP = 10;

    /** Decodes one whole record file; BAD_REQUEST says what is wrong with it. */
    public static FallbackRecord decode(byte[] file) throws ProtocolException {
        Header h = FrameCodec.decodeHeader(ByteBuffer.wrap(file), FrameCodec.DEFAULT_MAX_BODY);
        if (h.op() != OP) {
            throw new ProtocolException(Status.BAD_REQUEST, "op " + h.op() + " is not a fallback record (" + OP + ")");
        }
        if (file.length != FrameCodec.HEADER_SIZE + h.bodyLength()) {
            throw new ProtocolException(Status.BAD_REQUEST, "record of " + file.length + " bytes, header says "
                    + (FrameCodec.HEADER_SIZE + h.bodyLength()));
        }
        Fields f = FrameCodec.decodeFields(Arrays.copyOfRange(file, FrameCodec.HEADER_SIZE, file.length));
        if (f.u64(Field.DEADLINE).isPresent()) {
            throw new ProtocolException(Status.BAD_REQUEST, "a fallback record carries no DEADLINE");
        }
        int serial = f.i32(Field.KEYRING_SERIAL).orElseThrow(() -> missing(Field.KEYRING_SERIAL));
        long pid = f.requireU32(Field.PID);
        if (serial <= 0 || pid <= 0 || pid > Integer.MAX_VALUE) {
            throw new ProtocolException(Status.BAD_REQUEST, "KEYRING_SERIAL " + serial + " or PID " + pid
                    + " out of range");
        }
        long madeAt = f.u64(Field.MADE_AT).orElseThrow(() -> missing(Field.MADE_AT));
        return new FallbackRecord(OpenRequest.from(f), serial, (int) pid,
                f.u64(Field.PID_START).orElseThrow(() -> missing(Field.PID_START)),
                Instant.ofEpochMilli(madeAt), f.string(Field.REASON).orElse(""));
    }

    private static ProtocolException missing(Field field) {
        return new ProtocolException(Status.BAD_REQUEST, "missing required field " + field);
    }

    /** The record as the module writes it (for tests and tools). */
    public byte[] encode() {
        Fields.Builder b = Fields.builder();
        open.toFields().asMap().forEach((field, value) -> {
            switch (field.type()) {
                case STR -> b.put(field, (String) value);
                case U32 -> b.putU32(field, (Long) value);
                case U64 -> b.putU64(field, (Long) value);
                case I32 -> b.putI32(field, (Integer) value);
                case BOOL -> b.put(field, (Boolean) value);
            }
        });
        Fields fields = b.putI32(Field.KEYRING_SERIAL, keyringSerial).putU32(Field.PID, pid)
                .putU64(Field.PID_START, pidStartTime).putU64(Field.MADE_AT, madeAt.toEpochMilli())
                .put(Field.REASON, reason).build();
        return FrameCodec.encodeRequest(OP, fields);
    }
}
