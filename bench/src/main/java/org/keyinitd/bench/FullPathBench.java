package org.keyinitd.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.keyinitd.audit.AuditEvent;
import org.keyinitd.audit.AuditLog;
import org.keyinitd.config.AuditSettings;
import org.keyinitd.config.Config;
import org.keyinitd.keyring.KeyringService;
import org.keyinitd.keyring.KeyringSpec;
import org.keyinitd.keyring.KeyringWorker;
import org.keyinitd.keyring.SessionKeyring;
import org.keyinitd.linux.Kernel;
import org.keyinitd.linux.Passwd;
import org.keyinitd.policy.CloseAction;
import org.keyinitd.policy.KeyPermissions;
import org.keyinitd.policy.RevokeMode;
import org.keyinitd.protocol.CloseRequest;
import org.keyinitd.protocol.Field;
import org.keyinitd.protocol.Op;
import org.keyinitd.protocol.OpenRequest;
import org.keyinitd.protocol.Reply;
import org.keyinitd.protocol.Request;
import org.keyinitd.protocol.Status;
import org.keyinitd.server.PeerCredentials;
import org.keyinitd.service.Liveness;
import org.keyinitd.service.NssUsers;
import org.keyinitd.service.OrphanHandler;
import org.keyinitd.service.SessionEnding;
import org.keyinitd.service.SessionService;
import org.keyinitd.session.FileSessionStore;
import org.keyinitd.session.Session;
import org.keyinitd.session.SessionRegistry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The full OPEN + CLOSE handling ({@link SessionService#handle}) with the real parts the daemon
 * wires in Daemon.start (KeyringService and its worker thread, the file session store, the
 * audit log, NSS), minus the socket; and each part alone, to see where the time goes. Needs root
 * and an existing user ({@code -Dkbench.user}, default kbench01; bench/run.sh creates it).
 * Liveness is off (no pidfd watch): one pidfd_open + epoll_ctl per session is not measured.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class FullPathBench {
    private Path dir;
    private AuditLog audit;
    private KeyringService keyrings;
    private KeyringWorker bareWorker;
    private FileSessionStore store;
    private SessionService service;
    private NssUsers users;
    private Passwd pw;
    private PeerCredentials peer;
    private Request open;
    private Session storedSession;
    private KeyringSpec rootOwned;

    @Setup
    public void setup() throws Exception {
        String user = System.getProperty("kbench.user", "kbench01");
        dir = Files.createTempDirectory("keyinitd-jmh");
        Config config = BenchSupport.config(dir);
        Kernel kernel = new Kernel();
        users = new NssUsers(kernel);
        pw = users.byName(user).orElseThrow(() -> new IllegalStateException(
                "no user " + user + " (bench/run.sh creates kbench01; or pass -Dkbench.user=NAME)"));
        Files.createDirectories(config.stateDir());
        audit = AuditLog.open(config.audit());
        keyrings = KeyringService.start(kernel, KeyringService.registryName(config.stateDir()),
                KeyringService.anchorUid(kernel), 2000);
        store = new FileSessionStore(config.stateDir());
        SessionRegistry registry = new SessionRegistry(store);
        SessionEnding ending = new SessionEnding(keyrings, registry, audit);
        service = new SessionService("bench", users, keyrings, registry, audit, config.policy(), Liveness.NONE,
                new OrphanHandler(registry, ending, audit), ending, System::nanoTime);
        bareWorker = new KeyringWorker(kernel, 1024);
        bareWorker.start(k -> null);
        peer = new PeerCredentials((int) ProcessHandle.current().pid(), 0, 0); // a root login process
        OpenRequest req = BenchSupport.openRequest(pw.name(), pw.uid(), pw.gid());
        open = new Request(Op.OPEN.code(), req.toFields());
        storedSession = new Session("0123456789abcdef0123456789abcdef", pw.name(), pw.uid(), BenchSupport.SERVICE,
                Optional.of("pts/3"), Optional.of("10.20.30.40"), Optional.empty(), peer.pid(), 12345L,
                "keyinitd.0123456789abcdef0123456789abcdef", 123456789, RevokeMode.ALWAYS, CloseAction.REVOKE,
                true, "defaults", Instant.now(), Session.State.OPEN);
        // Root-owned: a user-owned keyring revoked in a tight loop outruns the kernel's key GC and the
        // user's 200-key quota within a second (EDQUOT). The user keyring is still linked as the user.
        rootOwned = new KeyringSpec(true, KeyPermissions.DEFAULT, true, false, 0);
    }

    @TearDown
    public void tearDown() throws IOException {
        bareWorker.close();
        keyrings.close();
        audit.close();
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** SessionService.handle(OPEN) then handle(CLOSE): everything the daemon does per session but the socket. */
    @Benchmark
    public Reply openClose() {
        Reply r = service.handle(peer, open);
        if (r.status() != Status.OK) {
            throw new IllegalStateException("OPEN failed: " + r);
        }
        String id = r.fields().string(Field.SESSION_ID).orElseThrow();
        Reply c = service.handle(peer, new Request(Op.CLOSE.code(),
                new CloseRequest(id, Optional.empty(), false).toFields()));
        if (c.status() != Status.OK) {
            throw new IllegalStateException("CLOSE failed: " + c);
        }
        return c;
    }

    /** KeyringService.create (root-owned, user keyring linked as the user) + kill: the keyring syscalls and two thread hops. */
    @Benchmark
    public int keyringCreateKill() throws Exception {
        SessionKeyring k = keyrings.create(pw.uid(), pw.gid(), rootOwned);
        keyrings.kill(k.serial(), false);
        return k.serial();
    }

    /** One empty task on a keyring worker: the thread hand-off alone (plus its credential check). */
    @Benchmark
    public Object workerRoundTrip() throws Exception {
        return bareWorker.call(k -> null, 2000);
    }

    /** FileSessionStore.save + delete: JSON, write, fsync, rename, fsync dir; unlink, fsync dir. */
    @Benchmark
    public void stateSaveDelete() throws IOException {
        store.save(storedSession);
        store.delete(storedSession.id());
    }

    /** AuditLog.record of a session.open line: JSON encoding and the queue (the disk write is async). */
    @Benchmark
    public void auditRecord() {
        audit.record(AuditEvent.of("session.open", "created").with("session", storedSession.id())
                .with("user", pw.name()).with("uid", pw.uid()).with("service", BenchSupport.SERVICE)
                .with("tty", "pts/3").with("rhost", "10.20.30.40").with("pid", peer.pid()).with("peer_uid", 0)
                .with("keyring", 123456789).with("rule", "defaults").with("revoke", "true")
                .with("owner", "user").build());
    }

    /** NssUsers.byName: getpwnam_r through JNA. */
    @Benchmark
    public Optional<Passwd> nssLookup() throws Exception {
        return users.byName(pw.name());
    }
}
