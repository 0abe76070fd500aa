package org.keyinitd.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sessions against the kernel's per-user key quota (kernel.keys.maxkeys, 200 for a non-root
 * user): a user-owned session keyring counts against the user for as long as it exists, a
 * root-owned one against root. Each test uses fresh users, since quota use can outlive a test.
 */
class QuotaIT {
    static final int MANY = 250;
    static final int CYCLES = 1500;

    @TempDir
    static Path dir;
    static TestUsers users;
    static DaemonProcess daemon;
    static PamHarness pam;

    @BeforeAll
    static void start() throws Exception {
        Root.require();
        users = new TestUsers();
        daemon = DaemonProcess.start(dir.resolve("daemon"), """
                [defaults]
                create = "always"
                revoke = true

                [[rule]]
                name = "root-owned"
                match = { service = "root-owned" }
                owner = "root"

                [[rule]]
                name = "invalidating"
                match = { service = "invalidating" }
                close_action = "invalidate"
                """);
        pam = new PamHarness(dir.resolve("pam.d"));
        for (String svc : List.of("user-owned", "root-owned", "invalidating")) {
            pam.service(svc, "session required MODULE socket=" + daemon.socket() + " on_error=fail");
        }
    }

    @AfterAll
    static void stop() throws Exception {
        Fixtures.closeAll(daemon, users);
    }

    @Test
    void rootOwnedSessionsSurviveALoadThatExhaustsTheUsersQuota() throws Exception {
        // 250 sessions of one account open at once: a busy automation account.
        TestUsers.User owned = users.create();
        PamHarness.Result userOwned = pam.run("user-owned", owned.name(), "--nested", Integer.toString(MANY));
        long okUser = userOwned.all("open_rc").stream().filter("0"::equals).count();
        System.out.printf("quota: %d concurrent sessions, owner=user: %d opened%n", MANY, okUser);
        // 200 keys less the user's own keyrings (@u, @us) and whatever the kernel has not yet collected
        assertThat(okUser).as("the user's 200-key quota runs out").isLessThan(MANY).isGreaterThan(100);
        assertThat(userOwned.all("open_rc")).contains(Integer.toString(PamHarness.PAM_SESSION_ERR));
        assertThat(daemon.audit("session.open", "error")).anySatisfy(n -> {
            assertThat(n.get("user").asText()).isEqualTo(owned.name());
            assertThat(n.get("errno").asInt()).as("EDQUOT").isEqualTo(122);
        });

        TestUsers.User rooted = users.create();
        PamHarness.Result rootOwned = pam.run("root-owned", rooted.name(), "--nested", Integer.toString(MANY));
        System.out.printf("quota: %d concurrent sessions, owner=root: %d opened%n", MANY,
                rootOwned.all("open_rc").stream().filter("0"::equals).count());
        assertThat(rootOwned.all("open_rc")).as(rootOwned.output()).hasSize(MANY).containsOnly("0");
        assertThat(rootOwned.all("close_rc")).hasSize(MANY).containsOnly("0");
        // Revoked, or already freed by the kernel once nothing referenced it; none left alive.
        assertThat(rootOwned.states().values()).hasSize(MANY).containsOnly("revoked", "gone");
        assertThat(rootOwned.get("creds_unchanged")).isEqualTo("1");
    }

    @Test
    void aRootOwnedSessionKeyringIsFullyUsableByTheUser() throws Exception {
        TestUsers.User u = users.create();
        PamHarness.Result r = pam.run("root-owned", u.name(), "--exec",
                "keyctl rdescribe @s; keyctl show @s; keyctl add user mine s3cret @s >/dev/null && keyctl print %user:mine");
        assertThat(r.getInt("open_rc")).as(r.output()).isZero();
        assertThat(r.output()).as("owned by root").contains("keyring;0;");
        assertThat(r.output()).contains("_uid." + u.uid()).contains("s3cret");
        assertThat(r.getInt("exec_status")).isZero();
        assertThat(r.state(r.getInt("ses"))).isEqualTo("revoked");
    }

    @Test
    void backToBackSessionsOfOneUserNeverRunOutOfQuota() throws Exception {
        // The daemon drops its link at close, so a revoked keyring is freed as soon as the
        // login process lets go of it, not kernel.keys.gc_delay later.
        for (String svc : List.of("user-owned", "root-owned")) {
            TestUsers.User u = users.create();
            PamHarness.Result r = pam.run(svc, u.name(), "--repeat", Integer.toString(CYCLES), "--rhost", "127.0.0.1");
            System.out.printf("quota: %d back-to-back sessions, %s: %s ok, first failure %s, %s ms%n", CYCLES, svc,
                    r.get("ok"), r.get("first_failure"), r.get("elapsed_ms"));
            assertThat(r.getInt("ok")).as(r.output()).isEqualTo(CYCLES);
            assertThat(r.get("creds_unchanged")).isEqualTo("1");
        }
    }

    @Test
    void invalidateGivesTheQuotaBackWhereRevokeWaitsForTheGarbageCollector() throws Exception {
        // Something in the session links its keyring elsewhere (here: the user-session keyring),
        // so the keyring outlives the session's processes.
        TestUsers.User revoking = users.create();
        TestUsers.User invalidating = users.create();
        // Fresh uids (TestUsers) have nothing charged; measured anyway, so the test is about its own keys.
        int revokingBefore = quotaKeys(revoking);
        int invalidatingBefore = quotaKeys(invalidating);
        PamHarness.Result rev = pam.run("user-owned", revoking.name(), "--exec", "keyctl link @s @us");
        PamHarness.Result inv = pam.run("invalidating", invalidating.name(), "--exec", "keyctl link @s @us");
        assertThat(rev.getInt("exec_status")).as(rev.output()).isZero();
        assertThat(inv.getInt("exec_status")).as(inv.output()).isZero();
        assertThat(daemon.audit("session.close", "invalidated"))
                .anySatisfy(n -> assertThat(n.get("user").asText()).isEqualTo(invalidating.name()));

        // Quota in use: the user keyring and user-session keyring (2) plus the session keyring if still there.
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (quotaKeys(invalidating) > invalidatingBefore + 2 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        System.out.printf("quota after close with a stray link: revoke %d keys, invalidate %d keys (before: %d, %d)%n",
                quotaKeys(revoking), quotaKeys(invalidating), revokingBefore, invalidatingBefore);
        assertThat(quotaKeys(invalidating)).as("invalidated: reclaimed at once").isEqualTo(invalidatingBefore + 2);
        assertThat(quotaKeys(revoking)).as("revoked: still charged until kernel.keys.gc_delay")
                .isGreaterThan(revokingBefore + 2);
    }

    /** The user's charged key count from /proc/key-users (qnkeys). */
    private static int quotaKeys(TestUsers.User u) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/key-users"))) {
            String[] f = line.trim().split("\\s+");
            if (f[0].equals(u.uid() + ":")) {
                return Integer.parseInt(f[3].split("/")[0]);
            }
        }
        return 0;
    }
}
