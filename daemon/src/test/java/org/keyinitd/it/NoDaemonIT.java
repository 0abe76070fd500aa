package org.keyinitd.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The module with no daemon: each on_error mode, within the timeout (other faults: ModuleFaultsIT). */
class NoDaemonIT {
    /** Slack over the module's timeout for process start-up and scheduling on a busy CI machine. */
    private static final double MARGIN_MS = 1500;

    @TempDir
    static Path dir;
    static TestUsers users;
    static TestUsers.User user;
    static PamHarness pam;
    static Path missing;

    @BeforeAll
    static void setUp() throws Exception {
        Root.require();
        users = new TestUsers();
        user = users.create();
        pam = new PamHarness(dir.resolve("pam.d"));
        missing = dir.resolve("no-daemon.sock");
        String base = "session required MODULE socket=" + missing + " timeout=500 revoke";
        pam.service("fallback", base + " on_error=fallback");
        pam.service("fail", base + " on_error=fail");
        // ignore makes the module PAM_IGNORE; a stack of only ignored modules fails, so add a success.
        pam.service("ignore", base + " on_error=ignore", "session optional pam_permit.so");
    }

    @AfterAll
    static void tearDown() throws Exception {
        Fixtures.closeAll(users);
    }

    @Test
    void fallbackDoesWhatPamKeyinitWouldDo() throws Exception {
        PamHarness.Result r = pam.run("fallback", user.name(), "--exec", "keyctl rdescribe @s; keyctl show @s");
        assertThat(r.getInt("open_rc")).as(r.output()).isEqualTo(PamHarness.PAM_SUCCESS);
        assertThat(r.getDouble("open_ms")).isLessThan(500 + MARGIN_MS);
        int ses = r.getInt("ses");
        assertThat(ses).isNotEqualTo(r.getInt("before_ses"));
        assertThat(r.output()).contains("keyring;" + user.uid() + ";").contains("_uid." + user.uid());
        assertThat(r.getInt("close_rc")).isEqualTo(PamHarness.PAM_SUCCESS);
        assertThat(r.state(ses)).as("revoke still honoured in fallback").isEqualTo("revoked");
        assertThat(r.get("creds_unchanged")).isEqualTo("1");
    }

    @Test
    void failFailsTheSession() throws Exception {
        PamHarness.Result r = pam.run("fail", user.name());
        assertThat(r.getInt("open_rc")).as(r.output()).isEqualTo(PamHarness.PAM_SESSION_ERR);
        assertThat(r.getDouble("open_ms")).isLessThan(500 + MARGIN_MS);
        assertThat(r.getInt("ses")).isEqualTo(r.getInt("before_ses"));
    }

    @Test
    void ignoreLeavesTheKeyringAloneAndTheStackDecides() throws Exception {
        PamHarness.Result r = pam.run("ignore", user.name());
        assertThat(r.getInt("open_rc")).as(r.output()).isEqualTo(PamHarness.PAM_SUCCESS);
        assertThat(r.getInt("ses")).as("no keyring made").isEqualTo(r.getInt("before_ses"));
        assertThat(r.getDouble("open_ms")).isLessThan(500 + MARGIN_MS);
    }
}
