package org.keyinitd.policy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Function;

/**
 * Ordered rules, first match wins, then {@code [defaults]}. Each action is resolved on its own:
 * the matching rule's value, else the {@code [defaults]} value, else (for create and revoke) the
 * module's argument, else the built-in default (docs/policy.md, "Precedence").
 */
public final class Policy {
    public static final String DEFAULTS_RULE = "defaults";

    private final List<Rule> rules;
    private final Actions defaults;

    public Policy(List<Rule> rules, Actions defaults) {
        this.rules = List.copyOf(rules);
        this.defaults = defaults;
    }

    /** No rules, nothing set: behaves exactly like pam_keyinit with the module's arguments. */
    public static Policy followModule() {
        return new Policy(List.of(), Actions.NONE);
    }

    public List<Rule> rules() {
        return rules;
    }

    public Actions defaults() {
        return defaults;
    }

    public Optional<Rule> firstMatch(LoginContext login) {
        for (Rule r : rules) {
            if (r.match().matches(login)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    /** The decision for a login (every OPEN): as {@link #explain}, without recording sources. */
    public PolicyDecision decide(LoginContext login) {
        Optional<Rule> rule = firstMatch(login);
        return decision(login, rule, new Sources(rule, defaults, null));
    }

    /** The decision, with where each of its values came from (for --explain). */
    public Explanation explain(LoginContext login) {
        Optional<Rule> rule = firstMatch(login);
        Map<String, String> sources = new LinkedHashMap<>();
        PolicyDecision decision = decision(login, rule, new Sources(rule, defaults, sources));
        return new Explanation(rule, rule.map(rules::indexOf).orElse(-1), decision, Map.copyOf(sources));
    }

    private static PolicyDecision decision(LoginContext login, Optional<Rule> rule, Sources src) {
        CreateMode create = src.pick("create", Actions::create,
                login.moduleArguments().force() ? CreateMode.ALWAYS : CreateMode.IF_MISSING, "module argument (force)");
        RevokeMode revoke = src.pick("revoke", Actions::revoke,
                RevokeMode.of(login.moduleArguments().revoke()), "module argument (revoke)");
        return new PolicyDecision(
                action(create, login.hasSessionKeyring()),
                revoke,
                src.pick("close_action", Actions::closeAction, CloseAction.REVOKE, "built-in default"),
                src.pick("link_user_keyring", Actions::linkUserKeyring, true, "built-in default"),
                src.pick("link_persistent_keyring", Actions::linkPersistentKeyring, false, "built-in default"),
                src.pick("owner", Actions::owner, Owner.USER, "built-in default"),
                src.pickInt("permissions", Actions::permissions, KeyPermissions.DEFAULT),
                src.pickInt("max_sessions_per_user", Actions::maxSessionsPerUser, 0),
                src.pick("revoke_on_exit", Actions::revokeOnExit, true, "built-in default"),
                src.pick("max_lifetime", Actions::maxLifetime, Lifetime.NONE, "built-in default (no limit)"),
                rule.map(Rule::name).orElse(DEFAULTS_RULE));
    }

    /** A decision and, per action key, the source of its value. */
    public record Explanation(Optional<Rule> rule, int ruleIndex, PolicyDecision decision, Map<String, String> sources) {
    }

    /**
     * Resolves one action at a time and, for {@link #explain}, remembers where each value came
     * from ({@code sources} null: not recorded, as at every login).
     */
    private static final class Sources {
        private final Optional<Rule> rule;
        private final Actions defaults;
        private final Map<String, String> sources;

        Sources(Optional<Rule> rule, Actions defaults, Map<String, String> sources) {
            this.rule = rule;
            this.defaults = defaults;
            this.sources = sources;
        }

        <T> T pick(String key, Function<Actions, Optional<T>> field, T fallback, String fallbackSource) {
            Optional<T> fromRule = rule.isPresent() ? field.apply(rule.get().actions()) : Optional.empty();
            if (fromRule.isPresent()) {
                if (sources != null) {
                    sources.put(key, "rule " + rule.get().name());
                }
                return fromRule.get();
            }
            Optional<T> fromDefaults = field.apply(defaults);
            if (fromDefaults.isPresent()) {
                record(key, "[defaults]");
                return fromDefaults.get();
            }
            record(key, fallbackSource);
            return fallback;
        }

        private void record(String key, String source) {
            if (sources != null) {
                sources.put(key, source);
            }
        }

        int pickInt(String key, Function<Actions, OptionalInt> field, int fallback) {
            return pick(key, a -> {
                OptionalInt v = field.apply(a);
                return v.isPresent() ? Optional.of(v.getAsInt()) : Optional.empty();
            }, fallback, "built-in default");
        }
    }

    private static PolicyDecision.Action action(CreateMode create, boolean hasSessionKeyring) {
        return switch (create) {
            case ALWAYS -> PolicyDecision.Action.CREATE;
            case IF_MISSING -> hasSessionKeyring ? PolicyDecision.Action.KEEP_EXISTING : PolicyDecision.Action.CREATE;
            case NEVER -> PolicyDecision.Action.SKIP;
        };
    }
}
