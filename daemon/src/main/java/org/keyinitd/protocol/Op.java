package org.keyinitd.protocol;

/** Request operations. A reply carries its request's op code with {@link #REPLY_BIT} set. */
public enum Op {
    PING(1),
    OPEN(2),
    CLOSE(3),
    STATUS(4),
    SESSIONS(5),
    REVOKE(6),
    RELOAD(7),
    SHOW(9);

    public static final int REPLY_BIT = 0x80;

    private final int code;

    Op(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** Admin ops are for root peers only. */
    public boolean isAdmin() {
        return code >= STATUS.code;
    }

    public int replyCode() {
        return code | REPLY_BIT;
    }

    /** The op for a request code, or null when unknown. */
    public static Op byCode(int code) {
        for (Op op : values()) {
            if (op.code == code) {
                return op;
            }
        }
        return null;
    }
}
