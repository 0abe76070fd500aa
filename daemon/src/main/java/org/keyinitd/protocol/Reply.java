package org.keyinitd.protocol;

/** A reply frame: {@code opCode} is the request's op code; the reply bit is added on encode. */
public record Reply(int opCode, Status status, Fields fields) {

    public static Reply ok(Op op, Fields fields) {
        return new Reply(op.code(), Status.OK, fields);
    }

    /** A non-OK reply; every one carries a human-readable MESSAGE (docs/protocol.md). */
    public static Reply error(int opCode, Status status, String message) {
        return new Reply(opCode, status, Fields.builder().put(Field.MESSAGE, truncate(message)).build());
    }

    public static Reply error(int opCode, Status status, String message, int errno) {
        return new Reply(opCode, status, Fields.builder()
                .put(Field.MESSAGE, truncate(message))
                .putU32(Field.ERRNO, errno)
                .build());
    }

    public String message() {
        return fields.string(Field.MESSAGE).orElse("");
    }

    private static String truncate(String message) {
        String m = message == null || message.isEmpty() ? "error" : message;
        // Cut on characters, then make sure the UTF-8 form fits the field limit.
        while (m.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > Field.MESSAGE.maxLength()) {
            m = m.substring(0, m.length() - 1);
        }
        return m;
    }
}
