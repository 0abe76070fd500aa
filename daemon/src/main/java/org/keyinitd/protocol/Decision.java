package org.keyinitd.protocol;

/** What the daemon did, carried in the DECISION field of OPEN and CLOSE replies. */
public enum Decision {
    CREATED(1),
    KEPT_EXISTING(2),
    SKIPPED(3),
    REVOKED(4),
    KEPT(5),
    UNSUPPORTED(6),
    DEFERRED(7),
    INVALIDATED(8);

    private final int code;

    Decision(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static Decision byCode(long code) {
        for (Decision d : values()) {
            if (d.code == code) {
                return d;
            }
        }
        return null;
    }
}
