package org.keyinitd.policy;

/** What happens to one login's keyring, and which rule said so. */
public record PolicyDecision(Action action, boolean revokeOnClose, String rule) {
    /** The outcome at open. */
    public enum Action { CREATE, KEEP_EXISTING, SKIP }
}
