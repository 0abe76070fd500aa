package org.keyinitd.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.BooleanSupplier;
import jnr.unixsocket.UnixSocketChannel;
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
 */
final class Connection implements Runnable {
    /** How long one blocking read may wait before the deadlines are checked again. */
    static final int POLL_MILLIS = 200;

    private static final Logger log = LoggerFactory.getLogger(Connection.class);

    private final UnixSocketChannel channel;
    private final PeerCredentials peer;
    private final Limits limits;
    private final RequestHandler handler;
    private final Runnable onClose;
    private final BooleanSupplier stopping;
    private final RequestBudget budget;

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

    @Override
    public void run() {
        try (channel) {
            serve();
        } catch (IOException e) {
            log.debug("{}: connection ended: {}", peer, e.getMessage());
        } finally {
            onClose.run();
        }
    }

    private void serve() throws IOException {
        while (true) {
            ByteBuffer head = ByteBuffer.allocate(FrameCodec.HEADER_SIZE);
            if (!readFrameStart(head)) {
                return;
            }
            long frameDeadline = System.nanoTime() + limits.requestTimeoutMillis() * 1_000_000L;
            if (!readFully(head, frameDeadline, "header")) {
                return;
            }
            head.flip();
            int rawOp = head.get(5) & 0xFF;
            Header header;
            try {
                header = FrameCodec.decodeHeader(head, limits.maxFrame());
            } catch (ProtocolException e) {
                if (budget.admit(peer.uid())) {
                    log.warn("{}: closing connection: {}", peer, e.getMessage());
                }
                send(Reply.error(rawOp, e.status(), e.getMessage()));
                return;
            }
            // A PING writes nothing; every other frame from a non-root peer may, so it costs a token.
            if (header.op() != Op.PING.code() && !budget.admit(peer.uid())) {
                send(Reply.error(header.op(), Status.BUSY, "rate limited: too many requests from uid " + peer.uid()
                        + "; try again later"));
                return;
            }
            ByteBuffer body = ByteBuffer.allocate(header.bodyLength());
            if (!readFully(body, frameDeadline, "body")) {
                return;
            }
            Request request;
            try {
                request = new Request(header.op(), FrameCodec.decodeFields(body.array()));
            } catch (ProtocolException e) {
                log.warn("{}: bad request: {}", peer, e.getMessage());
                send(Reply.error(header.op(), e.status(), e.getMessage()));
                continue;
            }
            Reply reply = handler.handle(peer, request);
            try {
                send(reply);
            } catch (IOException e) {
                handler.undelivered(peer, request, reply, e.getMessage());
                throw e;
            }
        }
    }

    /** Waits up to the idle timeout for the first byte of a frame; false on hang-up or idle timeout. */
    private boolean readFrameStart(ByteBuffer head) throws IOException {
        long idleDeadline = System.nanoTime() + limits.idleTimeoutMillis() * 1_000_000L;
        while (head.position() == 0) {
            int n = channel.read(head);
            if (n < 0) {
                return false;
            }
            if (n == 0 && stopping.getAsBoolean()) {
                return false; // shutting down: finish in-flight frames only
            }
            if (n == 0 && System.nanoTime() > idleDeadline) {
                log.debug("{}: idle for {} ms, closing", peer, limits.idleTimeoutMillis());
                return false;
            }
        }
        return true;
    }

    /** Fills the buffer before the deadline; a client that trickles bytes is cut off. */
    private boolean readFully(ByteBuffer buf, long deadline, String what) throws IOException {
        while (buf.hasRemaining()) {
            int n = channel.read(buf);
            if (n < 0) {
                warnBudgeted("{}: hung up in the middle of a frame {} ({} of {} bytes)", peer, what, buf.position(),
                        buf.capacity());
                return false;
            }
            if (System.nanoTime() > deadline) {
                warnBudgeted("{}: frame {} not complete within {} ms, closing", peer, what, limits.requestTimeoutMillis());
                return false;
            }
        }
        return true;
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
