package org.keyinitd.ctl;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.keyinitd.protocol.Fields;
import org.keyinitd.protocol.FrameCodec;
import org.keyinitd.protocol.Header;
import org.keyinitd.protocol.Op;
import org.keyinitd.protocol.ProtocolException;
import org.keyinitd.protocol.Reply;
import org.keyinitd.protocol.Status;

/**
 * keyinitctl's side of the socket: one request, one reply, with the same checks the PAM module
 * makes (the path is a root-owned socket, the server's SO_PEERCRED uid is 0).
 *
 * <p>Plain JDK Unix-domain sockets (no jnr/jffi): a keyinitctl call loads no native code of
 * its own, so nothing is unpacked into a temporary directory, and it starts faster. The JDK's
 * SO_PEERCRED gives the peer's user (not its pid), which is all a client needs.
 */
public final class AdminClient {
    /** Admin replies (a session list) may be large; this bounds what the CLI will read. */
    static final int MAX_REPLY = 64 * 1024 * 1024;

    /** The daemon could not be reached or did not answer sensibly. */
    public static final class UnreachableException extends Exception {
        UnreachableException(String message) {
            super(message);
        }
    }

    private final Path socket;
    private final int timeoutMillis;

    public AdminClient(Path socket, int timeoutMillis) {
        this.socket = socket;
        this.timeoutMillis = timeoutMillis;
    }

    public Reply call(Op op, Fields fields) throws UnreachableException {
        UserPrincipal root = checkSocket();
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        try (Selector selector = Selector.open();
             SocketChannel ch = connect(selector, deadline)) {
            UnixDomainPrincipal server = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
            if (!server.user().equals(root)) {
                throw new UnreachableException("the server on " + socket + " runs as " + server.user().getName()
                        + ", not root: not keyinitd");
            }
            SelectionKey key = ch.register(selector, SelectionKey.OP_WRITE);
            ByteBuffer out = ByteBuffer.wrap(FrameCodec.encodeRequest(op.code(), fields));
            while (out.hasRemaining()) {
                await(selector, deadline);
                ch.write(out);
            }
            key.interestOps(SelectionKey.OP_READ);
            ByteBuffer head = readFully(ch, selector, FrameCodec.HEADER_SIZE, deadline);
            Header h = FrameCodec.decodeHeader(head, MAX_REPLY);
            if (h.op() != op.replyCode()) {
                throw new UnreachableException("reply to op " + h.op() + ", expected " + op.replyCode());
            }
            Fields replyFields = FrameCodec.decodeFields(readFully(ch, selector, h.bodyLength(), deadline).array());
            Status status = Status.byCode(h.status());
            if (status == null) {
                throw new UnreachableException("reply with unknown status " + h.status());
            }
            return new Reply(op.code(), status, replyFields);
        } catch (IOException e) {
            throw new UnreachableException("cannot talk to keyinitd on " + socket + ": " + e.getMessage());
        } catch (ProtocolException e) {
            throw new UnreachableException("bad reply from keyinitd on " + socket + ": " + e.getMessage());
        }
    }

    /**
     * A non-blocking connect bounded by the deadline: a daemon whose listen backlog is full makes
     * connect fail at once (EAGAIN, AF_UNIX does not queue), so that is retried until the deadline.
     */
    private SocketChannel connect(Selector selector, long deadline) throws IOException, UnreachableException {
        while (true) {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.configureBlocking(false);
                if (!ch.connect(UnixDomainSocketAddress.of(socket))) {
                    SelectionKey key = ch.register(selector, SelectionKey.OP_CONNECT);
                    while (!ch.finishConnect()) {
                        await(selector, deadline);
                    }
                    key.cancel();
                    selector.selectNow(); // let the cancelled key go before the channel registers again
                }
                return ch;
            } catch (IOException e) {
                ch.close();
                if (!String.valueOf(e.getMessage()).contains("temporarily unavailable")) {
                    throw e;
                }
                if (System.nanoTime() >= deadline) {
                    throw new UnreachableException("keyinitd on " + socket + " accepted no connection within "
                            + timeoutMillis + " ms (its listen backlog is full: is it hung?)");
                }
                java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L);
            } catch (UnreachableException e) {
                ch.close();
                throw new UnreachableException("cannot connect to keyinitd on " + socket + " within "
                        + timeoutMillis + " ms");
            }
        }
    }

    private void await(Selector selector, long deadline) throws IOException, UnreachableException {
        long left = (deadline - System.nanoTime()) / 1_000_000L;
        if (left <= 0 || selector.select(left) == 0 && System.nanoTime() >= deadline) {
            throw new UnreachableException("no reply from keyinitd within " + timeoutMillis + " ms");
        }
        selector.selectedKeys().clear();
    }

    /** The socket must be a socket owned by root; returns its owner (root), to compare the server with. */
    private UserPrincipal checkSocket() throws UnreachableException {
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            throw new UnreachableException("no socket at " + socket + ": is keyinitd running?");
        }
        try {
            int mode = (Integer) Files.getAttribute(socket, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            int uid = (Integer) Files.getAttribute(socket, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            if ((mode & 0170000) != 0140000) {
                throw new UnreachableException(socket + " is not a socket");
            }
            if (uid != 0) {
                throw new UnreachableException(socket + " is owned by uid " + uid + ", not root");
            }
            return Files.getOwner(socket, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new UnreachableException("cannot examine " + socket + ": " + e.getMessage());
        }
    }

    private ByteBuffer readFully(SocketChannel ch, Selector selector, int n, long deadline)
            throws IOException, UnreachableException {
        ByteBuffer buf = ByteBuffer.allocate(n);
        while (buf.hasRemaining()) {
            int r = ch.read(buf);
            if (r < 0) {
                throw new UnreachableException("keyinitd closed the connection without a complete reply");
            }
            if (r == 0) {
                await(selector, deadline);
            }
        }
        buf.flip();
        return buf;
    }
}
