package org.keyinitd.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.keyinitd.audit.AuditEvent;
import org.keyinitd.keyring.KeyringSpec;
import org.keyinitd.keyring.KeyringView;
import org.keyinitd.keyring.SessionKeyring;
import org.keyinitd.keyring.SessionKeyrings;
import org.keyinitd.metrics.Metrics;
import org.keyinitd.protocol.Field;
import org.keyinitd.protocol.Fields;
import org.keyinitd.protocol.Op;
import org.keyinitd.protocol.Reply;
import org.keyinitd.server.PeerCredentials;
import org.keyinitd.audit.Outcome;
import org.keyinitd.service.SessionAudit;
import org.keyinitd.service.SessionEnding;
import org.keyinitd.session.SessionRegistry;
import org.keyinitd.session.SessionStore;

/** keyinitctl status counts every outcome exactly, through the typed Outcome, never a literal. */
class AdminStatusTest {
    private static final PeerCredentials ROOT = new PeerCredentials(1, 0, 0);

    @Test
    void countersAreExactSumsOverTheTypedOutcomes() throws Exception {
        Metrics metrics = new Metrics();
        record(metrics, SessionAudit.OPEN, Outcome.CREATED, 3);
        record(metrics, SessionAudit.OPEN, Outcome.REPLACED_FOREIGN, 2);
        record(metrics, SessionAudit.OPEN, Outcome.KEPT_EXISTING, 1);
        record(metrics, SessionAudit.OPEN, Outcome.SKIPPED, 1);
        record(metrics, SessionAudit.OPEN, Outcome.EXPIRED, 4); // not an answered open
        record(metrics, SessionAudit.OPEN, Outcome.DENIED, 5);
        record(metrics, SessionAudit.CLOSE, Outcome.REVOKED, 2);
        record(metrics, SessionAudit.CLOSE, Outcome.DEFERRED, 1);
        record(metrics, SessionAudit.CLOSE, Outcome.ALREADY_REVOKED, 1);
        record(metrics, SessionAudit.CLOSE, Outcome.NOT_FOUND, 7); // not a completed close
        record(metrics, SessionAudit.CLOSE, Outcome.ERROR, 1);
        record(metrics, SessionAudit.ORPHAN, Outcome.REVOKED, 2);
        record(metrics, SessionAudit.ORPHAN, Outcome.RELEASED, 3); // released is not revoked
        record(metrics, SessionAudit.ADMIN_REVOKE, Outcome.REVOKED, 1);

        SessionRegistry registry = new SessionRegistry(SessionStore.NONE);
        SessionKeyrings none = new NoKeyrings();
        AdminHandler admin = new AdminHandler(new Info(), registry, none, new SessionEnding(none, registry, null),
                null, metrics, null);
        Reply r = admin.handle(ROOT, Op.STATUS, Fields.empty());
        JsonNode counters = new ObjectMapper().readTree(r.fields().string(Field.DATA).orElseThrow()).path("counters");
        assertThat(counters.path("opens").asLong()).isEqualTo(7);
        assertThat(counters.path("closes").asLong()).isEqualTo(4);
        assertThat(counters.path("denials").asLong()).isEqualTo(5);
        assertThat(counters.path("errors").asLong()).isEqualTo(1);
        assertThat(counters.path("orphans_revoked").asLong()).isEqualTo(2);
        assertThat(counters.path("admin_revokes").asLong()).isEqualTo(1);
    }

    private static void record(Metrics m, String event, Outcome o, int times) {
        for (int i = 0; i < times; i++) {
            m.onAudit(AuditEvent.of(event, o.auditName()).build());
        }
    }

    private static final class Info implements DaemonInfo {
        public String version() {
            return "test";
        }

        public long pid() {
            return 1;
        }

        public Instant startedAt() {
            return Instant.EPOCH;
        }

        public Path configFile() {
            return Path.of("/etc/keyinitd/keyinitd.toml");
        }

        public Instant configLoadedAt() {
            return Instant.EPOCH;
        }

        public long auditDropped() {
            return 0;
        }

        public Path auditLog() {
            return Path.of("/nonexistent/audit.log");
        }
    }

    private static final class NoKeyrings implements SessionKeyrings {
        public SessionKeyring create(long uid, long gid, KeyringSpec spec) {
            throw new UnsupportedOperationException();
        }

        public void kill(int serial, boolean invalidate) {
        }

        public void release(int serial) {
        }

        public Map<Integer, Integer> usages(Collection<Integer> serials) {
            return Map.of();
        }

        public Map<String, Integer> contents(int serial) {
            return Map.of();
        }

        public KeyringView inspect(int serial) {
            return new KeyringView(serial, "gone", "", "", 0, List.of());
        }

        public Set<Integer> pastLifetime(Collection<Integer> serials) {
            return Set.of();
        }
    }
}
