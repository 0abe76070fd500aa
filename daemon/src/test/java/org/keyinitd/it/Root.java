package org.keyinitd.it;

import static org.junit.jupiter.api.Assertions.fail;

import com.sun.security.auth.module.UnixSystem;
import org.junit.jupiter.api.Assumptions;

/**
 * The integration tests create users, switch ids and drive PAM: they need root. Outside CI they
 * skip with the reason; in CI (CI or KEYINITD_REQUIRE_ROOT_TESTS set) not being root is a failure,
 * so a green CI always means they ran.
 */
final class Root {
    private Root() {
    }

    static void require() {
        if (new UnixSystem().getUid() == 0) {
            return;
        }
        String why = "integration tests need root: they create users, switch uids and open real PAM sessions";
        if (System.getenv("CI") != null || System.getenv("KEYINITD_REQUIRE_ROOT_TESTS") != null) {
            fail(why + " (running in CI, where skipping is not allowed)");
        }
        Assumptions.abort(why);
    }
}
