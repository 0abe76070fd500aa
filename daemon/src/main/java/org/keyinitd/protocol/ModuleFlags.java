package org.keyinitd.protocol;

/** The PAM module's own arguments, as sent in MODULE_FLAGS. */
public record ModuleFlags(boolean force, boolean revoke, boolean debug) {
    public static final int FORCE = 1;
    public static final int REVOKE = 2;
    public static final int DEBUG = 4;

    public static ModuleFlags fromBits(long bits) {
        return new ModuleFlags((bits & FORCE) != 0, (bits & REVOKE) != 0, (bits & DEBUG) != 0);
    }

    public long toBits() {
        return (force ? FORCE : 0) | (revoke ? REVOKE : 0) | (debug ? DEBUG : 0);
    }
}
