package org.keyinitd.policy;

/** One ordered policy rule: its name (for audit and --explain), its conditions and its actions. */
public record Rule(String name, Match match, Actions actions) {
}
