package org.keyinitd.admin;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import jnr.unixsocket.Credentials;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import jnr.unixsocket.UnixSocketOptions;
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
        checkSocket();
        try (UnixSocketChannel ch = UnixSocketChannel.open(new UnixSocketAddress(socket.toFile()))) {
            ch.setOption(UnixSocketOptions.SO_RCVTIMEO, timeoutMillis);
            Credentials server = ch.getOption(UnixSocketOptions.SO_PEERCRED);
            if (server.getUid() != 0) {
                throw new UnreachableException("the server on " + socket + " runs as uid " + server.getUid()
                        + ", not root: not keyinitd");
            }
            ByteBuffer out = ByteBuffer.wrap(FrameCodec.encodeRequest(op.code(), fields));
            while (out.hasRemaining()) {
                ch.write(out);
            }
            ByteBuffer head = readFully(ch, FrameCodec.HEADER_SIZE);
            Header h = FrameCodec.decodeHeader(head, MAX_REPLY);
            if (h.op() != op.replyCode()) {
                throw new UnreachableException("reply to op " + h.op() + ", expected " + op.replyCode());
            }
            Fields replyFields = FrameCodec.decodeFields(readFully(ch, h.bodyLength()).array());
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

    private void checkSocket() throws UnreachableException {
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
        } catch (IOException e) {
            throw new UnreachableException("cannot examine " + socket + ": " + e.getMessage());
        }
    }

    private ByteBuffer readFully(UnixSocketChannel ch, int n) throws IOException, UnreachableException {
        ByteBuffer buf = ByteBuffer.allocate(n);
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (buf.hasRemaining()) {
            int r = ch.read(buf);
            if (r < 0) {
                throw new UnreachableException("keyinitd closed the connection without a complete reply");
            }
            if (r == 0 && System.nanoTime() > deadline) {
                throw new UnreachableException("no reply from keyinitd within " + timeoutMillis + " ms");
            }
        }
        buf.flip();
        return buf;
    }
}
