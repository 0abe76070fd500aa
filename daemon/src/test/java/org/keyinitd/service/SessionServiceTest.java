package org.keyinitd.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.Collection;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.keyinitd.audit.AuditLog;
import org.keyinitd.keyring.KeyringException;
import org.keyinitd.keyring.KeyringSpec;
import org.keyinitd.keyring.SessionKeyring;
import org.keyinitd.keyring.SessionKeyrings;
import org.keyinitd.linux.KernelException;
import org.keyinitd.linux.Passwd;
import org.keyinitd.policy.Policy;
import java.util.OptionalLong;
import org.keyinitd.protocol.CallerKeyring;
import org.keyinitd.protocol.CloseRequest;
import org.keyinitd.protocol.Decision;
import org.keyinitd.protocol.Field;
import org.keyinitd.protocol.ModuleFlags;
import org.keyinitd.protocol.Op;
import org.keyinitd.protocol.OpenRequest;
import org.keyinitd.protocol.Reply;
import org.keyinitd.protocol.Request;
import org.keyinitd.protocol.Status;
import org.keyinitd.server.PeerCredentials;
import org.keyinitd.session.SessionRegistry;
import org.keyinitd.session.SessionStore;

/**
 * The request flow (authorization, decisions, audit) with an in-memory stand-in for the kernel.
 * Kernel behaviour itself is covered by the integration tests against real keyrings.
 */
class SessionServiceTest {
    private static final PeerCredentials ROOT = new PeerCredentials(10, 0, 0);
    private static final PeerCredentials ALICE_PEER = new PeerCredentials(20, 1001, 1001);

    @TempDir
    Path dir;
    private AuditLog audit;
    private RecordingKeyrings keyrings;
    private SessionService service;
    /** The daemon's CLOCK_MONOTONIC, as the test sets it. */
    private volatile long now = 5_000_000_000L;

    @BeforeEach
    void setUp() throws Exception {
        audit = AuditLog.open(new org.keyinitd.config.AuditSettings(dir.resolve("audit.log"), 1 << 20, 2, false, 0, 0)); // queue_size 0: written before record() returns, so lastAudit() sees it
        keyrings = new RecordingKeyrings();
        UserDirectory users = new UserDirectory() {
            @Override
            public Optional<Passwd> byName(String name) throws KernelException {
                return switch (name) {
                    case "alice" -> Optional.of(new Passwd("alice", 1001, 1001, "/home/alice"));
                    case "bob" -> Optional.of(new Passwd("bob", 1002, 1002, "/home/bob"));
                    case "broken" -> throw new KernelException("getpwnam_r(broken)", 5, "I/O error");
                    default -> Optional.empty();
                };
            }

            @Override
            public Set<String> groupsOf(Passwd user) {
                return Set.of(user.name());
            }
        };
        SessionRegistry registry = new SessionRegistry(SessionStore.NONE);
        SessionEnding ending = new SessionEnding(keyrings, registry, audit);
        service = new SessionService("test", users, keyrings, registry, audit, Policy.followModule(), Liveness.NONE,
                new OrphanHandler(registry, ending, audit), ending, () -> now);
    }

    @AfterEach
    void tearDown() {
        audit.close();
    }

    @Test
    void userAskingForAnotherUserIsDeniedAndAudited() throws Exception {
        Reply r = open(ALICE_PEER, "bob", 1002, false);
        assertThat(r.status()).isEqualTo(Status.DENIED);
        assertThat(r.message()).contains("1001").contains("1002");
        assertThat(keyrings.created).isEmpty();
        JsonNode line = lastAudit();
        assertThat(line.get("event").asText()).isEqualTo("session.open");
        assertThat(line.get("outcome").asText()).isEqualTo("denied");
        assertThat(line.get("peer_uid").asLong()).isEqualTo(1001);
        assertThat(line.get("user").asText()).isEqualTo("bob");
    }

    @Test
    void userMayOpenAndCloseItsOwnSession() throws Exception {
        Reply opened = open(ALICE_PEER, "alice", 1001, true);
        assertThat(opened.status()).isEqualTo(Status.OK);
        assertThat(opened.fields().u32(Field.DECISION)).contains((long) Decision.CREATED.code());
        String id = opened.fields().string(Field.SESSION_ID).orElseThrow();
        assertThat(id).matches("[0-9a-f]{32}");
        assertThat(opened.fields().string(Field.KEYRING_NAME).orElseThrow()).matches("keyinitd\\.[0-9a-f]{32}");

        Reply closed = close(ALICE_PEER, id);
        assertThat(closed.status()).isEqualTo(Status.OK);
        assertThat(closed.fields().u32(Field.DECISION)).contains((long) Decision.REVOKED.code());
        assertThat(keyrings.revoked).containsExactly(opened.fields().i32(Field.KEYRING_SERIAL).orElseThrow());
    }

    @Test
    void anotherUserCannotCloseTheSession() throws Exception {
        String id = open(ROOT, "alice", 1001, true).fields().string(Field.SESSION_ID).orElseThrow();
        Reply r = close(new PeerCredentials(30, 1002, 1002), id);
        assertThat(r.status()).isEqualTo(Status.DENIED);
        assertThat(keyrings.revoked).isEmpty();
        assertThat(close(ROOT, id).status()).isEqualTo(Status.OK);
    }

    @Test
    void secondCloseOfTheSameSessionIsNotFound() throws Exception {
        String id = open(ROOT, "alice", 1001, false).fields().string(Field.SESSION_ID).orElseThrow();
        assertThat(close(ROOT, id).fields().u32(Field.DECISION)).contains((long) Decision.KEPT.code());
        assertThat(close(ROOT, id).status()).isEqualTo(Status.NOT_FOUND);
        assertThat(keyrings.released).hasSize(1);
    }

    @Test
    void uidThatDoesNotMatchTheNameIsABadRequest() throws Exception {
        Reply r = open(ROOT, "alice", 1002, false);
        assertThat(r.status()).isEqualTo(Status.BAD_REQUEST);
        assertThat(r.message()).contains("alice has uid 1001");
    }

    @Test
    void unknownUserAndNssFailureAreFailuresNotCrashes() throws Exception {
        assertThat(open(ROOT, "nobody-here", 4000, false).status()).isEqualTo(Status.FAILED);
        Reply broken = open(ROOT, "broken", 4001, false);
        assertThat(broken.status()).isEqualTo(Status.FAILED);
        assertThat(broken.message()).contains("I/O error");
    }

    @Test
    void kernelRefusalIsReportedWithItsErrno() throws Exception {
        keyrings.failWith = new KeyringException("add_key: Disk quota exceeded (EDQUOT)", KernelException.EDQUOT);
        Reply r = open(ROOT, "alice", 1001, false);
        assertThat(r.status()).isEqualTo(Status.FAILED);
        assertThat(r.fields().u32(Field.ERRNO)).contains((long) KernelException.EDQUOT);
        assertThat(lastAudit().get("outcome").asText()).isEqualTo("error");
    }

    @Test
    void noKeyringSupportLetsTheLoginGoOn() throws Exception {
        keyrings.failWith = new KeyringException("keyctl: Function not implemented (ENOSYS)", KernelException.ENOSYS);
        Reply r = open(ROOT, "alice", 1001, false);
        assertThat(r.status()).isEqualTo(Status.OK);
        assertThat(r.fields().u32(Field.DECISION)).contains((long) Decision.UNSUPPORTED.code());
    }

    @Test
    void anOpenWhoseDeadlineHasPassedMakesNothing() throws Exception {
        Reply r = open(ROOT, request("alice", 1001, CallerKeyring.NONE, OptionalLong.of(now - 1)));
        assertThat(r.status()).isEqualTo(Status.FAILED);
        assertThat(r.message()).contains("deadline");
        assertThat(keyrings.created).isEmpty();
        assertThat(lastAudit().get("outcome").asText()).isEqualTo("expired");
    }

    @Test
    void aKeyringMadeAfterTheDeadlineIsRevokedAtOnce() throws Exception {
        keyrings.onCreate = () -> now += 2_000_000_000L; // the kernel took two seconds
        Reply r = open(ROOT, request("alice", 1001, CallerKeyring.NONE, OptionalLong.of(now + 1_000_000_000L)));
        assertThat(r.status()).isEqualTo(Status.FAILED);
        assertThat(keyrings.created).hasSize(1);
        assertThat(keyrings.revoked).isEqualTo(keyrings.created);
        JsonNode line = lastAudit();
        assertThat(line.get("outcome").asText()).isEqualTo("abandoned");
        assertThat(line.get("keyring").asInt()).isEqualTo(keyrings.created.get(0));
    }

    @Test
    void aCreatedReplyThatCannotBeDeliveredUndoesItsSession() throws Exception {
        Request req = new Request(Op.OPEN.code(), request("alice", 1001, CallerKeyring.NONE, OptionalLong.empty())
                .toFields());
        Reply r = service.handle(ROOT, req);
        assertThat(r.fields().u32(Field.DECISION)).contains((long) Decision.CREATED.code());
        service.undelivered(ROOT, req, r, "Broken pipe");
        assertThat(keyrings.revoked).isEqualTo(keyrings.created);
        JsonNode line = lastAudit();
        assertThat(line.get("event").asText()).isEqualTo("session.close");
        assertThat(line.get("outcome").asText()).isEqualTo("abandoned");
        assertThat(close(ROOT, r.fields().string(Field.SESSION_ID).orElseThrow()).status())
                .isEqualTo(Status.NOT_FOUND);
    }

    @Test
    void anotherUidsKeyringIsReplacedWhereTheUsersOwnIsKept() throws Exception {
        Reply foreign = open(ROOT, request("alice", 1001, CallerKeyring.FOREIGN, OptionalLong.empty()));
        assertThat(foreign.fields().u32(Field.DECISION)).contains((long) Decision.CREATED.code());
        assertThat(lastAudit().get("outcome").asText()).isEqualTo("replaced-foreign");
        assertThat(lastAudit().get("caller_keyring").asText()).isEqualTo("foreign");

        Reply own = open(ROOT, request("alice", 1001, CallerKeyring.OWN, OptionalLong.empty()));
        assertThat(own.fields().u32(Field.DECISION)).contains((long) Decision.KEPT_EXISTING.code());
        assertThat(lastAudit().get("outcome").asText()).isEqualTo("kept-existing");
    }

    @Test
    void concurrentLoginsOfOneUserNeverExceedMaxSessionsPerUser() throws Exception {
        service.setPolicy(new Policy(List.of(), new org.keyinitd.policy.Actions(Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), java.util.OptionalInt.empty(),
                java.util.OptionalInt.of(2), Optional.empty(), Optional.empty())));
        int logins = 8;
        // A slow kernel: each creation waits (bounded) for the others to be in flight too, which is
        // what lets check-then-act races through. With the per-uid lock they never overlap.
        java.util.concurrent.CountDownLatch inFlight = new java.util.concurrent.CountDownLatch(logins);
        keyrings.onCreate = () -> {
            inFlight.countDown();
            try {
                inFlight.await(200, java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(logins);
        List<java.util.concurrent.Future<Reply>> replies = new ArrayList<>();
        for (int i = 0; i < logins; i++) {
            replies.add(pool.submit(() -> open(ROOT, "alice", 1001, true)));
        }
        long created = 0;
        for (java.util.concurrent.Future<Reply> r : replies) {
            if (r.get().status() == Status.OK) {
                created++;
            }
        }
        pool.shutdown();
        assertThat(created).isEqualTo(2);
        assertThat(keyrings.created).hasSize(2);
    }

    @Test
    void unknownOpIsAnsweredNotThrown() {
        Reply r = service.handle(ROOT, new Request(77, org.keyinitd.protocol.Fields.empty()));
        assertThat(r.status()).isEqualTo(Status.UNKNOWN_OP);
    }

    private Reply open(PeerCredentials peer, String user, long uid, boolean revoke) {
        OpenRequest req = new OpenRequest("login", user, uid, uid, Optional.of("tty1"), Optional.empty(),
                Optional.empty(), new ModuleFlags(false, revoke, false),
                org.keyinitd.protocol.CallerKeyring.NONE, java.util.OptionalLong.empty());
        return service.handle(peer, new Request(Op.OPEN.code(), req.toFields()));
    }

    private static OpenRequest request(String user, long uid, CallerKeyring caller, OptionalLong deadline) {
        return new OpenRequest("login", user, uid, uid, Optional.of("tty1"), Optional.empty(), Optional.empty(),
                new ModuleFlags(false, true, false), caller, deadline);
    }

    private Reply open(PeerCredentials peer, OpenRequest req) {
        return service.handle(peer, new Request(Op.OPEN.code(), req.toFields()));
    }

    private Reply close(PeerCredentials peer, String id) {
        return service.handle(peer, new Request(Op.CLOSE.code(), new CloseRequest(id, Optional.empty(), false).toFields()));
    }

    private JsonNode lastAudit() throws Exception {
        List<String> lines = Files.readAllLines(dir.resolve("audit.log"));
        return new ObjectMapper().readTree(lines.get(lines.size() - 1));
    }

    /** Records what would have been done to the kernel. */
    private static final class RecordingKeyrings implements SessionKeyrings {
        final List<Integer> created = new ArrayList<>();
        final List<Integer> revoked = new ArrayList<>();
        final List<Integer> released = new ArrayList<>();
        final AtomicInteger next = new AtomicInteger(1000);
        KeyringException failWith;
        Runnable onCreate = () -> { };

        @Override
        public SessionKeyring create(long uid, long gid, KeyringSpec spec) throws KeyringException {
            if (failWith != null) {
                throw failWith;
            }
            onCreate.run();
            int serial = next.incrementAndGet();
            created.add(serial);
            return new SessionKeyring("keyinitd." + "0".repeat(31) + serial % 10, serial);
        }

        @Override
        public void kill(int serial, boolean invalidate) {
            revoked.add(serial);
        }

        @Override
        public Map<Integer, Integer> usages(Collection<Integer> serials) {
            return Map.of();
        }

        @Override
        public org.keyinitd.keyring.KeyringView inspect(int serial) {
            return new org.keyinitd.keyring.KeyringView(serial, "alive", "keyring;0;0;3f1b0000;x", "perm", 2, List.of());
        }

        @Override
        public Set<Integer> pastLifetime(Collection<Integer> serials) {
            return Set.of();
        }

        @Override
        public Map<String, Integer> contents(int serial) {
            return Map.of("keyring", 1, "user", 2);
        }

        @Override
        public void release(int serial) {
            released.add(serial);
        }
    }
}
