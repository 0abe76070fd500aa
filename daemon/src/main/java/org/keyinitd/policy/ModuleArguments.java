package org.keyinitd.policy;

/**
 * The arguments of the PAM line that policy falls back to when neither a rule nor
 * {@code [defaults]} sets a value: pam_keyinit's {@code force} and {@code revoke}.
 */
public record ModuleArguments(boolean force, boolean revoke) {
    public static final ModuleArguments NONE = new ModuleArguments(false, false);
}
