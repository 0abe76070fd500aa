package org.keyinitd.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.keyinitd.protocol.ModuleFlags;

class PolicyTest {

    private static LoginContext login(boolean hasSessionKeyring, boolean force, boolean revoke) {
        return new LoginContext("sshd", "alice", 1001, Optional.of("pts/0"), Optional.empty(), hasSessionKeyring,
                new ModuleFlags(force, revoke, false));
    }

    @Test
    void unsetDefaultsBehaveLikePamKeyinit() {
        Policy p = new Policy(Defaults.FOLLOW_MODULE);
        assertThat(p.decide(login(false, false, false)).action()).isEqualTo(PolicyDecision.Action.CREATE);
        assertThat(p.decide(login(true, false, false)).action()).isEqualTo(PolicyDecision.Action.KEEP_EXISTING);
        assertThat(p.decide(login(true, true, false)).action()).isEqualTo(PolicyDecision.Action.CREATE);
        assertThat(p.decide(login(false, false, true)).revokeOnClose()).isTrue();
        assertThat(p.decide(login(false, false, false)).revokeOnClose()).isFalse();
    }

    @Test
    void configValuesOverrideModuleArguments() {
        Policy never = new Policy(new Defaults(Optional.of(CreateMode.NEVER), Optional.of(false)));
        PolicyDecision d = never.decide(login(false, true, true));
        assertThat(d.action()).isEqualTo(PolicyDecision.Action.SKIP);
        assertThat(d.revokeOnClose()).isFalse();

        Policy always = new Policy(new Defaults(Optional.of(CreateMode.ALWAYS), Optional.of(true)));
        PolicyDecision a = always.decide(login(true, false, false));
        assertThat(a.action()).isEqualTo(PolicyDecision.Action.CREATE);
        assertThat(a.revokeOnClose()).isTrue();
        assertThat(a.rule()).isEqualTo("defaults");
    }
}
