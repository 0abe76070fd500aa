package org.keyinitd.policy;

/**
 * Decides what a login gets. Precedence: a value set in the config wins over the module's
 * argument; an unset value falls back to the module's argument (docs/policy.md).
 */
public final class Policy {
    static final String DEFAULTS_RULE = "defaults";

    private final Defaults defaults;

    public Policy(Defaults defaults) {
        this.defaults = defaults;
    }

    public PolicyDecision decide(LoginContext login) {
        CreateMode create = defaults.create()
                .orElse(login.moduleFlags().force() ? CreateMode.ALWAYS : CreateMode.IF_MISSING);
        boolean revoke = defaults.revoke().orElse(login.moduleFlags().revoke());
        return new PolicyDecision(action(create, login.hasSessionKeyring()), revoke, DEFAULTS_RULE);
    }

    private static PolicyDecision.Action action(CreateMode create, boolean hasSessionKeyring) {
        return switch (create) {
            case ALWAYS -> PolicyDecision.Action.CREATE;
            case IF_MISSING -> hasSessionKeyring ? PolicyDecision.Action.KEEP_EXISTING : PolicyDecision.Action.CREATE;
            case NEVER -> PolicyDecision.Action.SKIP;
        };
    }
}
