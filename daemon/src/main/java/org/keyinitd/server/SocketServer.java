package org.keyinitd.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import jnr.unixsocket.Credentials;
import jnr.unixsocket.UnixServerSocketChannel;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import jnr.unixsocket.UnixSocketOptions;
import org.keyinitd.config.Limits;
import org.keyinitd.linux.Kernel;
import org.keyinitd.linux.KernelException;
import org.keyinitd.protocol.FrameCodec;
import org.keyinitd.protocol.Reply;
import org.keyinitd.protocol.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Unix socket server: {@link #ACCEPTORS} accepting threads, each serving a module's request
 * itself when it arrives with the connection (no hand-off on a login's path), and a pool for
 * every other connection (slow senders, admin clients), at most {@code max_connections} open in
 * all. Several acceptors, so that one stuck in a slow NSS lookup does not stop the others. The
 * socket is world-connectable (mode 0666) on purpose: every login process must reach it, and
 * the peer's SO_PEERCRED decides what it may ask.
 */
public final class SocketServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SocketServer.class);

    private final Path path;
    private final Limits limits;
    private final RequestHandler handler;
    private final Kernel kernel;
    private final AtomicInteger open = new AtomicInteger();
    private final ConcurrentHashMap<Long, AtomicInteger> openByUid = new ConcurrentHashMap<>();
    private final ExecutorService pool;
    private UnixServerSocketChannel server;
    /** The socket file this server bound (its inode), so that close() removes only its own. */
    private Object boundFile;
    private final java.util.List<Thread> acceptThreads = new java.util.ArrayList<>();
    private volatile boolean stopping;
    private final AtomicLong lastRefusalLog = new AtomicLong(System.nanoTime() - REFUSAL_LOG_NANOS);
    private final AtomicLong refused = new AtomicLong();
    private final RequestBudget budget = new RequestBudget();
    private final Consumer<RequestBudget.Summary> onSummary;
    private final ScheduledExecutorService summaries;

    /** Threads that accept and serve modules' requests themselves. */
    static final int ACCEPTORS = 4;

    /** Connections only root peers may take: {@code max_connections / 8}, at least 1. */
    public static int rootReserve(int maxConnections) {
        return Math.max(1, maxConnections / 8);
    }

    /** How often the refusals of the request budget are summarized (and once more at close). */
    public static final long SUMMARY_SECONDS = 60;
    /**
     * A root-owned file of this name next to the socket says the stop is a restart (keyinitd-jsvc
     * restart makes it): the socket file stays, so a login meanwhile waits for the next daemon
     * instead of falling back. Under systemd the socket unit does this.
     */
    public static final String RESTART_MARKER = "restarting";
    private static final long REFUSAL_LOG_NANOS = TimeUnit.SECONDS.toNanos(10);

    /**
     * Loads jnr-unixsocket's native binding (jnr-ffi generates it at first use, the longest step
     * of the daemon's start) by opening and closing an unbound socket: the launcher does it on a
     * second thread while the main one reads the configuration.
     */
    public static void preload() throws IOException {
        UnixServerSocketChannel.open().close();
    }

    /**
     * {@code kernel} accepts the connections (jnr-unixsocket serves them); {@code onSummary}
     * gets what the request budget refused, every minute and at close.
     */
    public SocketServer(Path path, Limits limits, RequestHandler handler, Kernel kernel,
                        Consumer<RequestBudget.Summary> onSummary) {
        this.path = path;
        this.limits = limits;
        this.handler = handler;
        this.kernel = kernel;
        this.onSummary = onSummary;
        this.summaries = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "budget-summary");
            t.setDaemon(true);
            return t;
        });
        AtomicInteger n = new AtomicInteger();
        // Threads of idle connections go away after 2 s: a burst of logins leaves no lasting cost.
        this.pool = new ThreadPoolExecutor(0, limits.maxConnections(), 2, TimeUnit.SECONDS, new SynchronousQueue<>(),
                r -> {
                    Thread t = new Thread(r, "conn-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /**
     * Takes the socket systemd passed (socket activation), or binds the path itself; then starts
     * accepting. Binding fails if another daemon is already serving the path.
     */
    public void start() throws IOException {
        Optional<UnixServerSocketChannel> passed = SocketActivation.inherited(System.getenv(),
                ProcessHandle.current().pid());
        if (passed.isPresent()) {
            server = passed.get(); // systemd's: it keeps the file, and the socket, across restarts
            log.info("listening on the socket systemd passed for {} (socket activation)", path);
        } else {
            prepareSocketPath();
            server = UnixServerSocketChannel.open();
            bindInPlace();
        }
        for (int i = 1; i <= ACCEPTORS; i++) {
            Thread t = new Thread(this::acceptLoop, "accept-" + i);
            acceptThreads.add(t);
            t.start();
        }
        summaries.scheduleAtFixedRate(this::summarize, SUMMARY_SECONDS, SUMMARY_SECONDS, TimeUnit.SECONDS);
    }

    private void summarize() {
        try {
            budget.drain().ifPresent(onSummary);
        } catch (RuntimeException e) {
            log.error("cannot report rate-limited requests: {}", e.toString());
        }
    }

    /**
     * Binds a new name and renames it over the path, so that a socket left by the daemon before
     * (a restart, {@link #RESTART_MARKER}) is replaced without a moment in which the path is
     * missing: a login then either waits on the old socket (refused, so the module retries) or
     * reaches this one, and never falls back for want of a socket.
     */
    private void bindInPlace() throws IOException {
        Path fresh = path.resolveSibling("." + path.getFileName() + "." + ProcessHandle.current().pid());
        Files.deleteIfExists(fresh);
        server.socket().bind(new UnixSocketAddress(fresh.toFile()), 128);
        try {
            Files.setPosixFilePermissions(fresh, PosixFilePermissions.fromString("rw-rw-rw-"));
            boundFile = Files.readAttributes(fresh, java.nio.file.attribute.BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS).fileKey();
            Files.move(fresh, path, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            Files.deleteIfExists(fresh);
            throw e;
        }
    }

    private void prepareSocketPath() throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        }
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            if (!isSocket(path)) {
                throw new IOException(path + " exists and is not a socket; refusing to replace it");
            }
            if (isServed(path)) {
                throw new IOException(path + " is already served by a running daemon");
            }
            // a stale socket (a daemon that died, or one that left it for us): bindInPlace replaces it
        }
    }

    private static boolean ownedByRoot(Path p) {
        try {
            return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS) == 0;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean isSocket(Path p) throws IOException {
        Object mode = Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        return (((Integer) mode) & 0170000) == 0140000;
    }

    private static boolean isServed(Path p) {
        try (UnixSocketChannel probe = UnixSocketChannel.open(new UnixSocketAddress(p.toFile()))) {
            return probe.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    private void acceptLoop() {
        long backoffNanos = 0;
        while (!stopping) {
            UnixSocketChannel channel;
            try {
                channel = UnixSocketChannel.fromFD(kernel.accept(server.getFD()));
                backoffNanos = 0;
            } catch (KernelException e) {
                if (stopping) {
                    break;
                }
                if (e.errno() == KernelException.EINTR) {
                    continue; // a signal, not a failure
                }
                // Out of file descriptors (EMFILE/ENFILE) or memory: accept fails at once and would
                // fail again at once. Back off, 1 ms doubling to 1 s, so the loop cannot spin; the
                // pending connection stays in the backlog until descriptors are free again.
                backoffNanos = Math.min(Math.max(backoffNanos * 2, 1_000_000L), 1_000_000_000L);
                if (backoffNanos == 1_000_000L || backoffNanos == 1_000_000_000L) {
                    log.error("accept failed: {}; retrying in {} ms", e.getMessage(), backoffNanos / 1_000_000L);
                }
                java.util.concurrent.locks.LockSupport.parkNanos(backoffNanos);
                continue;
            }
            if (stopping) {
                closeQuietly(channel);
                break;
            }
            dispatch(channel);
        }
    }

    private void dispatch(UnixSocketChannel channel) {
        PeerCredentials peer;
        try {
            Credentials c = channel.getOption(UnixSocketOptions.SO_PEERCRED);
            peer = new PeerCredentials(c.getPid(), c.getUid() & 0xFFFF_FFFFL, c.getGid() & 0xFFFF_FFFFL);
            channel.setOption(UnixSocketOptions.SO_RCVTIMEO, Connection.INLINE_POLL_MILLIS);
            channel.setOption(UnixSocketOptions.SO_SNDTIMEO, Connection.POLL_MILLIS);
        } catch (IOException e) {
            log.warn("cannot read peer credentials, dropping connection: {}", e.getMessage());
            closeQuietly(channel);
            return;
        }
        if (!admit(peer)) {
            refuse(channel, "too many connections; try again");
            return;
        }
        Connection connection = new Connection(channel, peer, limits, handler, budget, () -> release(peer),
                () -> stopping);
        if (connection.serveFirst() == Connection.Next.DONE) {
            return;
        }
        try {
            pool.execute(connection);
        } catch (RuntimeException e) {
            release(peer);
            refuse(channel, "daemon is shutting down");
        }
    }

    /**
     * Takes a connection slot, overall and (for non-root peers) per uid; false when either is full.
     * Non-root peers together get at most {@code max_connections} minus the {@link #rootReserve}:
     * however many uids hold connections, root (logins, keyinitctl) always finds a free slot.
     */
    private boolean admit(PeerCredentials peer) {
        int cap = peer.isRoot() ? limits.maxConnections()
                : limits.maxConnections() - rootReserve(limits.maxConnections());
        if (open.incrementAndGet() > cap) {
            open.decrementAndGet();
            warnRefused(peer, peer.isRoot() ? limits.maxConnections() + " connections already open"
                    : cap + " connections already open (max_connections less the "
                    + rootReserve(limits.maxConnections()) + " reserved for root)");
            return false;
        }
        if (!peer.isRoot()) {
            AtomicInteger mine = openByUid.computeIfAbsent(peer.uid(), u -> new AtomicInteger());
            if (mine.incrementAndGet() > limits.maxConnectionsPerUid()) {
                mine.decrementAndGet();
                open.decrementAndGet();
                warnRefused(peer, "uid " + peer.uid() + " already has " + limits.maxConnectionsPerUid()
                        + " connections open (max_connections_per_uid)");
                return false;
            }
        }
        return true;
    }

    private void release(PeerCredentials peer) {
        open.decrementAndGet();
        if (!peer.isRoot()) {
            openByUid.computeIfPresent(peer.uid(), (u, n) -> n.decrementAndGet() <= 0 ? null : n);
        }
    }

    /** A flood of refusals must not flood the log: at most one line every 10 s. */
    private void warnRefused(PeerCredentials peer, String why) {
        long now = System.nanoTime();
        long last = lastRefusalLog.get();
        if (now - last > REFUSAL_LOG_NANOS && lastRefusalLog.compareAndSet(last, now)) {
            log.warn("{}: connection refused: {} ({} refused so far)", peer, why, refused.incrementAndGet());
        } else {
            refused.incrementAndGet();
        }
    }

    private static void refuse(UnixSocketChannel channel, String why) {
        try {
            channel.write(ByteBuffer.wrap(FrameCodec.encodeReply(Reply.error(0, Status.BUSY, why))));
        } catch (IOException ignored) {
            // the client is told by the close instead
        }
        closeQuietly(channel);
    }

    private static void closeQuietly(UnixSocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing left to do with a channel we are dropping
        }
    }

    /** Stops accepting, lets in-flight requests finish (bounded), removes the socket file. */
    @Override
    public void close() {
        stopping = true;
        for (Thread t : acceptThreads) {
            wakeAcceptThread(); // one connection wakes one acceptor
        }
        try {
            for (Thread t : acceptThreads) {
                t.join(2000);
            }
            if (server != null) {
                server.close();
            }
        } catch (IOException | InterruptedException e) {
            log.debug("closing server socket: {}", e.toString());
        }
        pool.shutdown();
        summaries.shutdownNow();
        try {
            if (!pool.awaitTermination(limits.requestTimeoutMillis(), TimeUnit.MILLISECONDS)) {
                pool.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        summarize(); // what was refused since the last summary, before the audit log closes
        removeOwnSocket();
    }

    /**
     * Removes the socket file if it is the one this server bound: a daemon that failed to start
     * because another one serves the path must not take that one's socket away with it.
     */
    private void removeOwnSocket() {
        if (boundFile == null) {
            return;
        }
        Path marker = path.resolveSibling(RESTART_MARKER);
        if (Files.isRegularFile(marker, LinkOption.NOFOLLOW_LINKS) && ownedByRoot(marker)) {
            log.info("leaving socket {} for the next daemon ({} exists): logins wait for it", path, marker);
            return;
        }
        try {
            Object now = Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS).fileKey();
            if (boundFile.equals(now)) {
                Files.delete(path);
            }
        } catch (java.nio.file.NoSuchFileException e) {
            // already gone
        } catch (IOException e) {
            log.warn("cannot remove socket {}: {}", path, e.getMessage());
        }
    }

    /** A blocking native accept() does not notice its channel being closed; a connection wakes one. */
    private void wakeAcceptThread() {
        try (UnixSocketChannel poke = UnixSocketChannel.open(new UnixSocketAddress(path.toFile()))) {
            poke.isConnected();
        } catch (IOException ignored) {
            // the accept thread is gone already
        }
    }
}
