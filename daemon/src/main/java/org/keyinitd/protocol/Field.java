package org.keyinitd.protocol;

import java.util.HashMap;
import java.util.Map;

/** The known fields of protocol v1, with their wire tag, type and length limit. */
public enum Field {
    SERVICE(1, FieldType.STR, 256),
    USER(2, FieldType.STR, 256),
    UID(3, FieldType.U32, 4),
    GID(4, FieldType.U32, 4),
    TTY(5, FieldType.STR, 256),
    RHOST(6, FieldType.STR, 1024),
    RUSER(7, FieldType.STR, 256),
    MODULE_FLAGS(8, FieldType.U32, 4),
    HAS_SESSION_KEYRING(9, FieldType.BOOL, 1),
    SESSION_ID(10, FieldType.STR, 64),
    KEYRING_NAME(11, FieldType.STR, 128),
    KEYRING_SERIAL(12, FieldType.I32, 4),
    DECISION(13, FieldType.U32, 4),
    MESSAGE(14, FieldType.STR, 1024),
    RULE(15, FieldType.STR, 256),
    WILL_REVOKE(16, FieldType.BOOL, 1),
    SERVER_VERSION(17, FieldType.STR, 64),
    ERRNO(18, FieldType.U32, 4),
    ABORT(19, FieldType.BOOL, 1),
    JOIN_AS_CALLER(20, FieldType.BOOL, 1),
    DATA(21, FieldType.STR, 65535),
    REASON(22, FieldType.STR, 1024),
    ALL(23, FieldType.BOOL, 1),
    CALLER_KEYRING(24, FieldType.U32, 4),
    DEADLINE(25, FieldType.U64, 8),
    PID(26, FieldType.U32, 4),
    PID_START(27, FieldType.U64, 8),
    MADE_AT(28, FieldType.U64, 8);

    private static final Map<Integer, Field> BY_TAG = new HashMap<>();

    static {
        for (Field f : values()) {
            BY_TAG.put(f.tag, f);
        }
    }

    private final int tag;
    private final FieldType type;
    private final int maxLength;

    Field(int tag, FieldType type, int maxLength) {
        this.tag = tag;
        this.type = type;
        this.maxLength = maxLength;
    }

    public int tag() {
        return tag;
    }

    public FieldType type() {
        return type;
    }

    public int maxLength() {
        return maxLength;
    }

    /** DATA alone may repeat: its parts are concatenated (a document longer than one field). */
    public boolean repeatable() {
        return this == DATA;
    }

    /** The field with this tag, or null for a tag this version does not know (skipped). */
    public static Field byTag(int tag) {
        return BY_TAG.get(tag);
    }
}
