package org.keyinitd.protocol;

/** Reply status codes (docs/protocol.md, "Status codes"). */
public enum Status {
    OK(0),
    DENIED(1),
    BAD_REQUEST(2),
    BAD_VERSION(3),
    UNKNOWN_OP(4),
    NOT_FOUND(5),
    FAILED(6),
    BUSY(7),
    TOO_LARGE(8);

    private final int code;

    Status(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The status for a code, or null when unknown. */
    public static Status byCode(int code) {
        for (Status s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return null;
    }
}
