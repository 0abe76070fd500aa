package org.keyinitd.launcher;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.keyinitd.config.Config;
import org.keyinitd.linux.Kernel;
import org.keyinitd.linux.KernelException;
import org.keyinitd.linux.Passwd;
import org.keyinitd.policy.KeyPermissions;
import org.keyinitd.policy.LoginContext;
import org.keyinitd.policy.Policy;
import org.keyinitd.policy.PolicyDecision;
import org.keyinitd.policy.ModuleArguments;

/**
 * {@code keyinitd --explain user=alice service=sshd tty=pts/1 rhost=10.0.0.5}: which rule a
 * login would match and what it would get, with the source of every value.
 */
final class Explainer {
    static final List<String> KEYS = List.of("user", "uid", "groups", "service", "tty", "rhost",
            "has_session_keyring", "force", "revoke");

    /** Thrown for a bad KEY=VALUE; the message is for the user. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    private Explainer() {
    }

    static void explain(Config config, List<String> args, PrintWriter out) throws UsageException {
        Map<String, String> kv = parse(args);
        String user = kv.get("user");
        if (user == null) {
            throw new UsageException("--explain needs user=NAME");
        }
        Optional<Passwd> pw = lookup(user);
        long uid = kv.containsKey("uid") ? parseLong("uid", kv.get("uid"))
                : pw.map(Passwd::uid).orElseThrow(() -> new UsageException("unknown user " + user + "; give uid=N")); 
        Set<String> groups = kv.containsKey("groups") ? new LinkedHashSet<>(Arrays.asList(kv.get("groups").split(",")))
                : pw.map(Explainer::groupsOf).orElse(Set.of());
        LoginContext login = new LoginContext(kv.getOrDefault("service", "login"), user, uid,
                Optional.ofNullable(kv.get("tty")), Optional.ofNullable(kv.get("rhost")),
                bool(kv, "has_session_keyring"), new ModuleArguments(bool(kv, "force"), bool(kv, "revoke")),
                () -> groups);
        print(config, login, groups, config.policy().explain(login), out);
    }

    private static void print(Config config, LoginContext login, Set<String> groups, Policy.Explanation e,
                              PrintWriter out) {
        out.printf("login:   user=%s uid=%d groups=%s service=%s tty=%s rhost=%s has_session_keyring=%s%n",
                login.user(), login.uid(), String.join(",", groups), login.service(), login.tty().orElse("-"),
                login.rhost().orElse("-"), login.hasSessionKeyring());
        out.printf("module:  force=%s revoke=%s%n", login.moduleArguments().force(), login.moduleArguments().revoke());
        int total = config.policy().rules().size();
        out.printf("matched: %s%n", e.rule()
                .map(r -> "rule \"" + r.name() + "\" (" + (e.ruleIndex() + 1) + " of " + total + ", "
                        + config.sources().rules().get(e.ruleIndex()) + ")")
                .orElse("no rule (" + total + " rules); [defaults] apply"));
        PolicyDecision d = e.decision();
        out.printf("result:  %s%n", switch (d.action()) {
            case CREATE -> "a new session keyring";
            case KEEP_EXISTING -> "keep the session keyring the process already has";
            case SKIP -> "no keyring (leave it alone)";
        });
        Map<String, String> values = new LinkedHashMap<>();
        values.put("create", d.action().name().toLowerCase().replace('_', '-'));
        values.put("revoke", d.revoke().configName());
        values.put("close_action", d.closeAction().configName());
        values.put("link_user_keyring", Boolean.toString(d.linkUserKeyring()));
        values.put("link_persistent_keyring", Boolean.toString(d.linkPersistentKeyring()));
        values.put("owner", d.owner().configName());
        values.put("permissions", KeyPermissions.hex(d.permissions()));
        values.put("revoke_on_exit", Boolean.toString(d.revokeOnExit()));
        values.put("max_lifetime", org.keyinitd.policy.Lifetime.format(d.maxLifetime()));
        values.put("max_sessions_per_user", d.maxSessionsPerUser() == 0 ? "0 (no limit)" : Integer.toString(d.maxSessionsPerUser()));
        for (Map.Entry<String, String> v : values.entrySet()) {
            out.printf("  %-24s %-14s (%s)%n", v.getKey(), v.getValue(), source(config, e, v.getKey()));
        }
        out.flush();
    }

    /** Where the value came from, with the file and line that set it (a drop-in, or the main file). */
    private static String source(Config config, Policy.Explanation e, String key) {
        String source = e.sources().get(key);
        if (source.equals("[defaults]")) {
            return source + config.sources().of("defaults." + key).map(o -> " " + o).orElse("");
        }
        if (source.startsWith("rule ") && e.rule().isPresent()) {
            return source + " " + config.sources().of("rule[" + (e.ruleIndex() + 1) + "]." + key)
                    .orElse(config.sources().rules().get(e.ruleIndex()));
        }
        return source;
    }

    private static Map<String, String> parse(List<String> args) throws UsageException {
        Map<String, String> kv = new LinkedHashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            String key = eq < 0 ? a : a.substring(0, eq);
            if (!KEYS.contains(key)) {
                throw new UsageException("--explain: unknown key '" + key + "'; known: " + String.join(", ", KEYS));
            }
            kv.put(key, eq < 0 ? "true" : a.substring(eq + 1));
        }
        return kv;
    }

    private static boolean bool(Map<String, String> kv, String key) throws UsageException {
        String v = kv.getOrDefault(key, "false");
        if (!v.equals("true") && !v.equals("false")) {
            throw new UsageException("--explain: " + key + " must be true or false, got '" + v + "'");
        }
        return Boolean.parseBoolean(v);
    }

    private static long parseLong(String key, String v) throws UsageException {
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new UsageException("--explain: " + key + " must be a number, got '" + v + "'");
        }
    }

    private static Optional<Passwd> lookup(String user) throws UsageException {
        try {
            return new Kernel().passwdByName(user);
        } catch (KernelException e) {
            throw new UsageException("cannot look up user " + user + ": " + e.getMessage());
        }
    }

    private static Set<String> groupsOf(Passwd pw) {
        try {
            return new Kernel().groupsOf(pw.name(), pw.gid());
        } catch (KernelException e) {
            return Set.of();
        }
    }
}
