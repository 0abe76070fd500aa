package org.keyinitd.keyring;

/** A session keyring the daemon made: the name the module joins by, and its serial. */
public record SessionKeyring(String name, int serial) {
}
