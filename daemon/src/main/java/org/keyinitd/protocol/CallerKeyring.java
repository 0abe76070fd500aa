package org.keyinitd.protocol;

import java.util.Optional;

/**
 * What the login process's session keyring was when the login began (field CALLER_KEYRING),
 * as the module found it with its ids switched to the user's.
 */
public enum CallerKeyring {
    /** None of its own: its session keyring is the user's user-session keyring. */
    NONE(1, "none"),
    /** A session keyring owned by the user (a nested login of the same user). */
    OWN(2, "own"),
    /** Owned by another uid: root's keyrings, or the login program's. Never kept. */
    FOREIGN(3, "foreign"),
    /** Revoked, expired or gone: counts as none, as with pam_keyinit {@code force}. */
    DEAD(4, "dead"),
    /**
     * The user's, but bare: a {@code _ses} keyring holding only the user keyring, as
     * pam_keyinit earlier in the same stack just made it (Debian's sshd, login, su-l). Counts
     * as none: the daemon's keyring takes its place, as if the module had replaced pam_keyinit's
     * line. It holds no key, so nothing is lost.
     */
    FRESH(5, "fresh");

    private final int code;
    private final String auditName;

    CallerKeyring(int code, String auditName) {
        this.code = code;
        this.auditName = auditName;
    }

    public int code() {
        return code;
    }

    /** The value of the audit field {@code caller_keyring}. */
    public String auditName() {
        return auditName;
    }

    /** True when the login must not go on with this keyring: it is replaced whatever policy says. */
    public boolean mustBeReplaced() {
        return this == FOREIGN || this == DEAD;
    }

    public static Optional<CallerKeyring> ofCode(long code) {
        for (CallerKeyring k : values()) {
            if (k.code == code) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }
}
