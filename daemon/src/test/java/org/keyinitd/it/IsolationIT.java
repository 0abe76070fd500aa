package org.keyinitd.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Key isolation, from the attacker's side. Alice is logged in through the real module and keeps a
 * secret in her session keyring. Bob (and root) then come in through every entry path, each time
 * through the real libpam and pam_keyinitd.so, and from inside the session they got try to find,
 * read, describe, link, join or revoke Alice's keyring and key. None may succeed, and at the end
 * Alice's session still reads its secret.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IsolationIT {
    private static final String SECRET = "kit-secret-of-alice";
    private static final String PAYLOAD = "s3cret-A";

    @TempDir
    static Path dir;
    static TestUsers users;
    static TestUsers.User alice;
    static TestUsers.User bob;
    static DaemonProcess daemon;
    static PamHarness pam;
    static PamHarness.Live aliceLogin;
    static int aliceRing;
    static int aliceKey;
    static String aliceRingName;

    @BeforeAll
    static void aliceLogsInAndKeepsASecret() throws Exception {
        Root.require();
        users = new TestUsers();
        alice = users.create();
        bob = users.create();
        daemon = DaemonProcess.start(dir.resolve("daemon"), """
                [[rule]]
                name = "no-keyring"
                match = { service = "never" }
                create = "never"
                """);
        pam = new PamHarness(dir.resolve("pam.d"));
        String up = "socket=" + daemon.socket() + " on_error=fail";
        String down = "socket=" + dir.resolve("absent.sock");
        pam.service("login", "session required MODULE " + up + " force revoke");
        // pam_keyinit's defaults: no force, so an existing keyring of the caller's own is kept
        pam.service("keep", "session required MODULE " + up + " revoke");
        pam.service("never", "session required MODULE " + up + " revoke");
        pam.service("down-ignore", "session required pam_permit.so",
                "session optional MODULE " + down + " on_error=ignore revoke");
        pam.service("down-fail", "session required pam_permit.so",
                "session optional MODULE " + down + " on_error=fail revoke");
        pam.service("down-fallback", "session required MODULE " + down + " revoke");

        aliceLogin = pam.start("login", alice.name(), "--exec", "keyctl add user " + SECRET + " " + PAYLOAD + " @s",
                "--then", "keyctl print %user:" + SECRET);
        PamHarness.Result r = aliceLogin.soFar();
        assertThat(r.getInt("open_rc")).as(r.output()).isZero();
        aliceRing = r.getInt("ses");
        aliceKey = Integer.parseInt(r.output().lines().filter(l -> l.matches("\\d+")).findFirst()
                .orElseThrow(() -> new AssertionError("keyctl add printed no serial:\n" + r.output())));
        String[] desc = r.get("ses_desc").split(";", 5);
        assertThat(desc[1]).as("Alice's keyring is hers").isEqualTo(Long.toString(alice.uid()));
        aliceRingName = desc[4];
    }

    @AfterAll
    static void stop() throws Exception {
        Fixtures.closeAll(daemon, users);
    }

    /** Every way to reach Alice's keys, tried from inside a session; prints reached=WHAT for each that works. */
    private static String attack() {
        return String.join("\n",
                "r() { what=$1; shift; if \"$@\" >/dev/null 2>&1; then echo \"reached=$what\"; fi; }",
                "r search keyctl search @s user " + SECRET,
                "r print-by-name keyctl print %user:" + SECRET,
                "r print keyctl print " + aliceKey,
                "r describe-key keyctl rdescribe " + aliceKey,
                "r describe-keyring keyctl rdescribe " + aliceRing,
                "r list keyctl rlist " + aliceRing,
                "r link keyctl link " + aliceRing + " @s",
                "r link-key keyctl link " + aliceKey + " @s",
                "r join sh -c 'keyctl session " + aliceRingName + " keyctl print %user:" + SECRET + "'",
                "r revoke-key keyctl revoke " + aliceKey,
                "r revoke keyctl revoke " + aliceRing,
                "r unlink keyctl unlink " + aliceKey + " " + aliceRing,
                "true");
    }

    static Stream<Arguments> bobsWaysIn() {
        return Stream.of(
                // su bob from a root shell whose @s is root's own keyring with _uid.0 linked
                Arguments.of("kept-existing from a root login's keyring", "keep", "root", "replaced-foreign"),
                Arguments.of("a caller holding root's user-session keyring", "keep", "root-useses", "replaced-foreign"),
                Arguments.of("a caller with no session keyring", "keep", "none", "created"),
                Arguments.of("a revoked session keyring", "keep", "revoked", "created"),
                Arguments.of("policy create = never from a root login's keyring", "never", "root", "skipped"),
                Arguments.of("daemon down, on_error=ignore", "down-ignore", "root", null),
                Arguments.of("daemon down, on_error=fail on an optional line", "down-fail", "root", null),
                Arguments.of("daemon down, in-process fallback", "down-fallback", "root", null));
    }

    @Order(1)
    @ParameterizedTest(name = "{0}")
    @MethodSource("bobsWaysIn")
    void bobCannotReachAlicesKeys(String path, String service, String state, String outcome) throws Exception {
        PamHarness.Result r = pam.run(service, bob.name(), "--session-state", state, "--exec", attack());
        assertThat(r.getInt("open_rc")).as(r.output()).isZero();
        assertThat(r.getInt("exec_status")).as(r.output()).isZero();
        assertThat(r.all("reached")).as("what Bob reached of Alice's keys").isEmpty();
        // Bob's session keyring is his own: never root's, never the login program's, never dead.
        assertThat(r.get("ses_desc")).as(r.output()).startsWith("keyring;" + bob.uid() + ";");
        if (outcome != null) {
            List<JsonNode> opens = daemon.audit().stream()
                    .filter(n -> n.path("event").asText().equals("session.open")
                            && n.path("user").asText().equals(bob.name())
                            && n.path("service").asText().equals(service)
                            && n.path("caller_keyring").asText().equals(callerKeyring(state)))
                    .toList();
            assertThat(opens).as("audit of Bob's %s login", path).isNotEmpty()
                    .allSatisfy(n -> assertThat(n.path("outcome").asText()).isEqualTo(outcome));
        }
        if ("skipped".equals(outcome) || service.startsWith("down-") && !service.equals("down-fallback")) {
            // No keyring made for him: he is on his own user-session keyring.
            assertThat(r.get("ses_desc")).endsWith(";_uid_ses." + bob.uid());
        }
    }

    private static String callerKeyring(String state) {
        return switch (state) {
            case "root", "root-useses" -> "foreign";
            case "revoked" -> "dead";
            case "none" -> "none";
            default -> throw new IllegalArgumentException(state);
        };
    }

    @Order(2)
    @Test
    void bobLoggingInFromInsideAlicesSessionCannotReachHerKeys() throws Exception {
        // A nested login (su bob inside Alice's session): the login program holds her keyring.
        String nested = String.join(" ", PamHarness.binary().toString(), "--confdir", pam.confdir().toString(),
                "--service", "keep", "--user", bob.name(), "--session-state", "inherit", "--exec",
                shellQuote(String.join("\n",
                        "r() { what=$1; shift; if \"$@\" >/dev/null 2>&1; then echo \"reached=$what\"; fi; }",
                        "r search keyctl search @s user kit-nested-secret",
                        "r print-by-name keyctl print %user:kit-nested-secret",
                        "true")));
        PamHarness.Result r = pam.run("login", alice.name(), "--exec", "keyctl add user kit-nested-secret x @s",
                "--exec-root", nested);
        assertThat(r.get("exec_root_status")).as(r.output()).isEqualTo("0");
        assertThat(r.all("open_rc")).as(r.output()).containsExactly("0", "0");
        assertThat(r.all("reached")).as("what Bob reached of Alice's keys").isEmpty();
        assertThat(r.all("ses_desc")).as(r.output()).hasSize(2)
                .anySatisfy(d -> assertThat(d).startsWith("keyring;" + bob.uid() + ";"));
        assertThat(daemon.audit("session.open", "replaced-foreign"))
                .anySatisfy(n -> assertThat(n.path("user").asText()).isEqualTo(bob.name()));
    }

    @Order(3)
    @Test
    void aRootLoginCannotReachAlicesKeys() throws Exception {
        // A root login gets a daemon keyring with root's user keyring linked; the registry that holds
        // every session keyring is no longer in _uid.0, so nothing leads from there to Alice's.
        PamHarness.Result daemonMade = pam.run("login", "root", "--session-state", "root-useses", "--exec", attack());
        assertThat(daemonMade.getInt("open_rc")).as(daemonMade.output()).isZero();
        assertThat(daemonMade.get("ses_desc")).contains(";keyinitd.");
        assertThat(daemonMade.all("reached")).as("what a root login reached").isEmpty();

        // A root login that keeps root's own keyring (pam_keyinit's doing, _uid.0 linked in it)
        PamHarness.Result kept = pam.run("keep", "root", "--session-state", "root", "--exec", attack());
        assertThat(kept.getInt("open_rc")).as(kept.output()).isZero();
        assertThat(kept.all("reached")).as("what a root login on root's own keyring reached").isEmpty();
    }

    @Order(4)
    @Test
    void aRootProcessHoldingRootsKeyringsCannotReachAlicesKeys() throws Exception {
        // This JVM's own process: root, with _uid_ses.0 and so _uid.0 within reach.
        Commands.Result r = Commands.run(List.of("sh", "-c",
                "keyctl show @u >/dev/null 2>&1; keyctl link @u @s 2>/dev/null; " + attack()));
        assertThat(r.output()).doesNotContain("reached=");
    }

    @Order(5)
    @Test
    void theRegistryIsReachableFromNoneOfRootsKeyrings() throws Exception {
        String registry = org.keyinitd.keyring.KeyringService.registryName(daemon.stateDir());
        for (String ring : List.of("@u", "@us")) {
            Commands.Result r = Commands.run(List.of("keyctl", "show", ring));
            assertThat(r.output()).as("keyctl show %s", ring).doesNotContain(registry);
        }
        // It is where the daemon put it: in the anchor account's user keyring.
        Commands.Result anchored = Commands.run(List.of("setpriv", "--reuid=keyinitd", "--regid=keyinitd",
                "--clear-groups", "keyctl", "show", "@u"));
        assertThat(anchored.output()).contains(registry);
    }

    @Order(6)
    @Test
    void theProbesFindKeysWhereTheyArePossessed() throws Exception {
        // The control: the same look-ups, from a process that does hold the keyring (the root
        // login program inside a login), do find the key. So an empty "reached" above means
        // unreachable, not a broken probe.
        PamHarness.Result r = pam.run("login", alice.name(), "--exec", "keyctl add user kit-control x @s",
                "--exec-root", String.join("\n",
                        "r() { what=$1; shift; if \"$@\" >/dev/null 2>&1; then echo \"reached=$what\"; fi; }",
                        "r search keyctl search @s user kit-control",
                        "r print-by-name keyctl print %user:kit-control",
                        "true"));
        assertThat(r.all("reached")).as(r.output()).containsExactly("search", "print-by-name");
    }

    @Order(10)
    @Test
    void alicesSessionStillReadsItsSecretAfterEveryAttack() throws Exception {
        PamHarness.Result r = aliceLogin.finish();
        assertThat(r.get("then_status")).as(r.output()).isEqualTo("0");
        assertThat(r.output()).contains(PAYLOAD);
        assertThat(r.getInt("close_rc")).isZero();
        assertThat(r.state(aliceRing)).isEqualTo("revoked");
    }

    private static String shellQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
