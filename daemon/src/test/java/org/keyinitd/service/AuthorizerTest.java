package org.keyinitd.service;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.keyinitd.server.PeerCredentials;

class AuthorizerTest {
    private static final PeerCredentials ROOT = new PeerCredentials(100, 0, 0);
    private static final PeerCredentials ALICE = new PeerCredentials(200, 1001, 1001);

    @Test
    void rootMayOpenForAnyone() {
        assertThat(Authorizer.checkOpen(ROOT, 1001)).isEmpty();
        assertThat(Authorizer.checkOpen(ROOT, 0)).isEmpty();
    }

    @Test
    void aUserMayOpenOnlyForItself() {
        assertThat(Authorizer.checkOpen(ALICE, 1001)).isEmpty();
        assertThat(Authorizer.checkOpen(ALICE, 1002)).hasValueSatisfying(
                why -> assertThat(why).contains("1001").contains("1002"));
        assertThat(Authorizer.checkOpen(ALICE, 0)).isPresent();
    }

    @Test
    void aUserMayCloseOnlyItsOwnSessions() {
        assertThat(Authorizer.checkClose(ALICE, 1001)).isEmpty();
        assertThat(Authorizer.checkClose(ALICE, 1002)).isPresent();
        assertThat(Authorizer.checkClose(ROOT, 1002)).isEmpty();
    }
}
