package org.keyinitd.keyring;

import java.util.List;

/**
 * What a session keyring looks like right now, for an admin: its own description, the kernel's
 * expiry and reference count, and the keys linked in it, by type and description (never their
 * payloads).
 *
 * @param state    {@code alive}, {@code revoked}, {@code expired} or {@code gone}
 * @param timeout  the kernel's remaining time as /proc/keys shows it ({@code perm}, {@code 59s},
 *                 {@code 4m}, {@code expd}), or empty when unknown
 * @param usage    references to the keyring: one per process credential that has it as its
 *                 session keyring, one per keyring it is linked in (the daemon's registry is one)
 */
public record KeyringView(int serial, String state, String description, String timeout, int usage,
                          List<Key> keys) {

    /** One key linked in the keyring: {@code permissions} as keyctl(1) writes them. */
    public record Key(int serial, String type, String description, long uid, long gid, String permissions) {
    }
}
