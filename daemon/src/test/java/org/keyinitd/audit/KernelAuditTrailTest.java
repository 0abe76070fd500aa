package org.keyinitd.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** What goes to the kernel's audit, and that nothing a peer sends can add or end a field. */
class KernelAuditTrailTest {

    private static AuditEvent.Builder open(String outcome) {
        return AuditEvent.of("session.open", outcome).with("user", "alice").with("uid", 1001).with("service", "sshd")
                .with("tty", "/dev/pts/3").with("rhost", "10.0.0.5").with("pid", 4321L).with("auid", 1001L)
                .with("ses", 7L).with("session", "00112233445566778899aabbccddeeff").with("keyring", 555L)
                .with("rule", "defaults");
    }

    @Test
    void aCreatedKeyringIsOneRecordWithTheLoginsIds() {
        KernelAuditTrail.Record r = KernelAuditTrail.record(open("created").build()).orElseThrow();
        assertThat(r.type()).isEqualTo(2404);
        assertThat(r.message()).isEqualTo("op=keyinitd:session.open outcome=created acct=\"alice\" id=1001 "
                + "login-auid=1001 login-ses=7 login-pid=4321 service=\"sshd\" "
                + "session=00112233445566778899aabbccddeeff keyring=555 rule=\"defaults\"");
        assertThat(r.hostname()).isEqualTo("10.0.0.5");
        assertThat(r.addr()).isEqualTo("10.0.0.5");
        assertThat(r.terminal()).isEqualTo("/dev/pts/3");
        assertThat(r.success()).isTrue();
    }

    @Test
    void deniedIsAFailureAndUninterestingEventsAreNotSent() {
        assertThat(KernelAuditTrail.record(open("denied").build()).orElseThrow().success()).isFalse();
        assertThat(KernelAuditTrail.record(open("skipped").build())).isEmpty();
        assertThat(KernelAuditTrail.record(open("error").build())).isEmpty();
        assertThat(KernelAuditTrail.record(AuditEvent.of("session.close", "deferred").build())).isEmpty();
        assertThat(KernelAuditTrail.record(AuditEvent.of("daemon.start", "ok").build())).isEmpty();
        for (String event : List.of("session.close", "session.orphan", "session.revoke", "admin.revoke")) {
            assertThat(KernelAuditTrail.record(AuditEvent.of(event, "revoked").build())).as(event).isPresent();
        }
        assertThat(KernelAuditTrail.record(AuditEvent.of("admin.revoke", "error").build()).orElseThrow().success())
                .isFalse();
    }

    @Test
    void anAdminRevokeNamesTheAdmin() {
        AuditEvent e = AuditEvent.of("admin.revoke", "revoked").with("user", "alice").with("keyring", 9L)
                .with("auid", 1001L).with("ses", 7L).with("peer_auid", 1000L).with("peer_ses", 3L)
                .with("peer_pid", 99L).with("reason", "INC-4711").build();
        String m = KernelAuditTrail.record(e).orElseThrow().message();
        assertThat(m).contains(" keyring=9 ", " login-auid=1001 login-ses=7", " admin-auid=1000 admin-ses=3 admin-pid=99",
                " reason=\"INC-4711\"");
    }

    @Test
    void peerTextIsHexWhenItCouldEndOrAddAField() {
        AuditEvent e = open("created").with("user", "x\" res=failed").with("rule", "it's")
                .with("tty", "pts/1 res=failed").with("rhost", "evil host,addr=1.2.3.4").build();
        KernelAuditTrail.Record r = KernelAuditTrail.record(e).orElseThrow();
        assertThat(r.message()).contains(" acct=7822207265733D6661696C6564 ").contains(" rule=69742773")
                .doesNotContain("res=").doesNotContain("'");
        assertThat(r.terminal()).isEqualTo("7074732F31207265733D6661696C6564");
        assertThat(r.hostname()).matches("[0-9A-F]+");
        assertThat(r.addr()).isEqualTo("?");
    }

    @Test
    void recordsGoToTheSenderInOrderOffTheCallersThread() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        List<String> threads = new CopyOnWriteArrayList<>();
        KernelAuditTrail trail = new KernelAuditTrail(r -> {
            seen.add(r.message().split(" ")[1]);
            threads.add(Thread.currentThread().getName());
            return null;
        });
        trail.accept(open("created").build());
        trail.accept(open("skipped").build());
        trail.accept(AuditEvent.of("session.close", "revoked").with("keyring", 555L).build());
        trail.close();
        assertThat(seen).containsExactly("outcome=created", "outcome=revoked");
        assertThat(threads).containsOnly("keyinitd-kernel-audit");
        assertThat(trail.sent()).isEqualTo(2);
        trail.accept(open("created").build()); // after close: ignored
        assertThat(trail.sent()).isEqualTo(2);
    }
}
