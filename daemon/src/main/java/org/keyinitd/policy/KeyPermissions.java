package org.keyinitd.policy;

/**
 * A session keyring's permission mask, written as keyctl(1) does ({@code "0x3f1b0000"}), and
 * the checks that keep a mask from breaking the login or leaking the keyring.
 */
public final class KeyPermissions {
    public static final int POS_VIEW = 0x01000000;
    public static final int POS_READ = 0x02000000;
    public static final int POS_WRITE = 0x04000000;
    public static final int POS_SEARCH = 0x08000000;
    public static final int POS_LINK = 0x10000000;
    public static final int POS_SETATTR = 0x20000000;
    public static final int POS_ALL = 0x3f000000;
    public static final int USR_VIEW = 0x00010000;
    public static final int USR_READ = 0x00020000;
    public static final int USR_SEARCH = 0x00080000;
    public static final int USR_LINK = 0x00100000;
    public static final int GROUP_AND_OTHER = 0x0000ffff;

    /** Possessor: everything; owner: view, read, search (needed to join), link. */
    public static final int DEFAULT = POS_ALL | USR_VIEW | USR_READ | USR_SEARCH | USR_LINK;

    private KeyPermissions() {
    }

    public static int parse(String text) {
        String t = text.trim().toLowerCase();
        if (!t.startsWith("0x") || t.length() != 10) {
            throw new IllegalArgumentException("'" + text + "' is not an 8-digit hex mask like \"0x3f1b0000\"");
        }
        int perm;
        try {
            perm = Integer.parseUnsignedInt(t.substring(2), 16);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not an 8-digit hex mask like \"0x3f1b0000\"");
        }
        validate(perm);
        return perm;
    }

    static void validate(int perm) {
        if ((perm & USR_SEARCH) == 0) {
            throw new IllegalArgumentException(hex(perm) + " takes SEARCH from the owner: the module could not join the keyring by name");
        }
        if ((perm & POS_SEARCH) == 0) {
            throw new IllegalArgumentException(hex(perm) + " takes SEARCH from the possessor: the session could not use its keys");
        }
        if ((perm & (POS_WRITE | POS_SETATTR)) == 0) {
            throw new IllegalArgumentException(hex(perm) + " gives the possessor neither WRITE nor SETATTR: the daemon could not revoke it");
        }
        if ((perm & GROUP_AND_OTHER) != 0) {
            throw new IllegalArgumentException(hex(perm) + " grants group or other rights: other users could use the keyring");
        }
    }

    public static String hex(int perm) {
        return String.format("0x%08x", perm);
    }
}
