package org.keyinitd.keyring;

/** How to build one session keyring: who owns it, its permissions, and what is linked into it. */
public record KeyringSpec(boolean rootOwned, int permissions, boolean linkUserKeyring, boolean linkPersistentKeyring) {
}
