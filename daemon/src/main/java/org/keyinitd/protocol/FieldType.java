package org.keyinitd.protocol;

/** The value types a field can carry on the wire (docs/protocol.md, "Body: typed fields"). */
public enum FieldType {
    STR(1, -1),
    U32(2, 4),
    I32(3, 4),
    BOOL(4, 1),
    U64(5, 8);

    private final int code;
    private final int fixedLength;

    FieldType(int code, int fixedLength) {
        this.code = code;
        this.fixedLength = fixedLength;
    }

    public int code() {
        return code;
    }

    /** The exact value length for fixed-size types, or -1 for strings. */
    public int fixedLength() {
        return fixedLength;
    }
}
