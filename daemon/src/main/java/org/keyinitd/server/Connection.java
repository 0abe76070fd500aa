package org.keyinitd.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.BooleanSupplier;
import jnr.unixsocket.UnixSocketChannel;
import jnr.unixsocket.UnixSocketOptions;
import org.keyinitd.config.Limits;
import org.keyinitd.protocol.FrameCodec;
import org.keyinitd.protocol.Header;
import org.keyinitd.protocol.Op;
import org.keyinitd.protocol.ProtocolException;
import org.keyinitd.protocol.Reply;
import org.keyinitd.protocol.Request;
import org.keyinitd.protocol.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one client connection: frames in, replies out, until the client hangs up, stays idle
 * too long, takes too long over one frame, or sends something that breaks the framing.
 *
 * <p>The accepting thread serves a connection's first frame itself ({@link #serveFirst}) when
 * it is a module's OPEN or CLOSE that arrives at once, as the module sends it right after
 * connecting: a login then costs no thread hand-off. Anything else (a client that is slow to
 * send, an admin request, a frame after the first) goes on on a pooled thread ({@link #run}),
 * from where the accepting thread left it. A module's OPEN or CLOSE ends its connection once
 * answered: the module sends one request per connection.
 */
final class Connection implements Runnable {
    /** How long one blocking read may wait before the deadlines are checked again. */
    static final int POLL_MILLIS = 200;
    /** How long one read on the accepting thread may wait (SO_RCVTIMEO's 1 ms is its floor). */
    static final int INLINE_POLL_MILLIS = 1;
    /** How long the accepting thread gives a first frame to arrive before the pool takes over. */
    static final long INLINE_NANOS = 2_000_000L;

    private static final Logger log = LoggerFactory.getLogger(Connection.class);

    /** What serving went on to: the connection is done, or it has more to serve, on the pool. */
    enum Next { DONE, POOL }

    private enum Frame { READY, GONE, LATER }

    private final UnixSocketChannel channel;
    private final PeerCredentials peer;
    private final Limits limits;
    private final RequestHandler handler;
    private final Runnable onClose;
    private final BooleanSupplier stopping;
    private final RequestBudget budget;

    // The frame being read: kept between the accepting thread and the pool.
    private ByteBuffer head;
    private ByteBuffer body;
    private Header header;
    private long idleDeadline;
    private long frameDeadline;

    Connection(UnixSocketChannel channel, PeerCredentials peer, Limits limits, RequestHandler handler,
               RequestBudget budget, Runnable onClose, BooleanSupplier stopping) {
        this.stopping = stopping;
        this.budget = budget;
        this.channel = channel;
        this.peer = peer;
        this.limits = limits;
        this.handler = handler;
        this.onClose = onClose;
    }

    /**
     * On the accepting thread (the channel's SO_RCVTIMEO set to {@link #INLINE_POLL_MILLIS}):
     * reads the first frame for at most {@link #INLINE_NANOS} and answers it if it is a module's
     * OPEN or CLOSE. DONE: the connection is closed and released; POOL: the caller hands this
     * to the pool, which goes on where this stopped.
     */
    Next serveFirst() {
        boolean done = true;
        try {
            Frame f = readFrame(System.nanoTime() + INLINE_NANOS);
            if (f == Frame.LATER || f == Frame.READY && !isModuleOp(header.op())) {
                channel.setOption(UnixSocketOptions.SO_RCVTIMEO, POLL_MILLIS);
                done = false;
                return Next.POOL;
            }
            if (f == Frame.READY) {
                answer();
            }
            return Next.DONE;
        } catch (IOException e) {
            log.debug("{}: connection ended: {}", peer, e.getMessage());
            return Next.DONE;
        } finally {
            if (done) {
                end();
            }
        }
    }

    @Override
    public void run() {
        try {
            while (readFrame(Long.MAX_VALUE) == Frame.READY && answer()) {
                // next frame
            }
        } catch (IOException e) {
            log.debug("{}: connection ended: {}", peer, e.getMessage());
        } finally {
            end();
        }
    }

    private void end() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing left to do with a connection that is over
        } finally {
            onClose.run();
        }
    }

    private static boolean isModuleOp(int op) {
        return op == Op.OPEN.code() || op == Op.CLOSE.code();
    }

    /**
     * Reads (the rest of) one frame, its header checked: READY when it is complete (in
     * {@link #header} and {@link #body}); GONE when the connection is over (hang-up, idle, a
     * frame cut off or refused: answered already where there is an answer); LATER when
     * {@code inlineUntil} came first, with everything read so far kept for the next call.
     */
    private Frame readFrame(long inlineUntil) throws IOException {
        if (head == null) {
            head = ByteBuffer.allocate(FrameCodec.HEADER_SIZE);
            idleDeadline = System.nanoTime() + limits.idleTimeoutMillis() * 1_000_000L;
        }
        while (head.position() == 0) {
            int n = channel.read(head);
            if (n < 0) {
                return Frame.GONE;
            }
            if (n == 0 && stopping.getAsBoolean()) {
                return Frame.GONE; // shutting down: finish in-flight frames only
            }
            if (n == 0 && System.nanoTime() > idleDeadline) {
                log.debug("{}: idle for {} ms, closing", peer, limits.idleTimeoutMillis());
                return Frame.GONE;
            }
            if (n == 0 && System.nanoTime() > inlineUntil) {
                return Frame.LATER;
            }
        }
        if (frameDeadline == 0) {
            frameDeadline = System.nanoTime() + limits.requestTimeoutMillis() * 1_000_000L;
        }
        if (header == null) {
            Frame f = readFully(head, "header", inlineUntil);
            if (f != Frame.READY) {
                return f;
            }
            head.flip();
            int rawOp = head.get(5) & 0xFF;
            try {
                header = FrameCodec.decodeHeader(head, limits.maxFrame());
            } catch (ProtocolException e) {
                if (budget.admit(peer.uid())) {
                    log.warn("{}: closing connection: {}", peer, e.getMessage());
                }
                send(Reply.error(rawOp, e.status(), e.getMessage()));
                return Frame.GONE;
            }
            // A PING writes nothing; every other frame from a non-root peer may, so it costs a token.
            if (header.op() != Op.PING.code() && !budget.admit(peer.uid())) {
                send(Reply.error(header.op(), Status.BUSY, "rate limited: too many requests from uid " + peer.uid()
                        + "; try again later"));
                return Frame.GONE;
            }
            body = ByteBuffer.allocate(header.bodyLength());
        }
        return readFully(body, "body", inlineUntil);
    }

    /**
     * Answers the frame just read, then forgets it. False when the connection ends here: a
     * module's OPEN or CLOSE has been answered.
     */
    private boolean answer() throws IOException {
        Header h = header;
        byte[] bytes = body.array();
        head = null;
        body = null;
        header = null;
        frameDeadline = 0;
        Request request;
        try {
            request = new Request(h.op(), FrameCodec.decodeFields(bytes));
        } catch (ProtocolException e) {
            log.warn("{}: bad request: {}", peer, e.getMessage());
            send(Reply.error(h.op(), e.status(), e.getMessage()));
            return true;
        }
        Reply reply = handler.handle(peer, request);
        try {
            send(reply);
        } catch (IOException e) {
            handler.undelivered(peer, request, reply, e.getMessage());
            throw e;
        }
        return !isModuleOp(h.op());
    }

    /** Fills the buffer before the frame's deadline; a client that trickles bytes is cut off. */
    private Frame readFully(ByteBuffer buf, String what, long inlineUntil) throws IOException {
        while (buf.hasRemaining()) {
            int n = channel.read(buf);
            if (n < 0) {
                warnBudgeted("{}: hung up in the middle of a frame {} ({} of {} bytes)", peer, what, buf.position(),
                        buf.capacity());
                return Frame.GONE;
            }
            long now = System.nanoTime();
            if (now > frameDeadline) {
                warnBudgeted("{}: frame {} not complete within {} ms, closing", peer, what, limits.requestTimeoutMillis());
                return Frame.GONE;
            }
            if (n == 0 && now > inlineUntil) {
                return Frame.LATER;
            }
        }
        return Frame.READY;
    }

    /** A warning about the peer's framing: non-root peers pay for it from their budget. */
    private void warnBudgeted(String format, Object... args) {
        if (budget.admit(peer.uid())) {
            log.warn(format, args);
        }
    }

    private void send(Reply reply) throws IOException {
        ByteBuffer out = ByteBuffer.wrap(FrameCodec.encodeReply(reply));
        long deadline = System.nanoTime() + limits.requestTimeoutMillis() * 1_000_000L;
        while (out.hasRemaining()) {
            channel.write(out);
            if (out.hasRemaining() && System.nanoTime() > deadline) {
                throw new IOException("client did not read its reply within " + limits.requestTimeoutMillis() + " ms");
            }
        }
    }
}
