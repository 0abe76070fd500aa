package org.keyinitd.keyring;

/**
 * How to build one session keyring: who owns it, its permissions, what is linked into it, and
 * how long it may live ({@code lifetimeSeconds}, policy {@code max_lifetime}; 0 for no limit).
 */
public record KeyringSpec(boolean rootOwned, int permissions, boolean linkUserKeyring, boolean linkPersistentKeyring,
                          long lifetimeSeconds) {
}
