package org.keyinitd.it;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;

/**
 * Receives what processes send to syslog. Where /dev/log does not exist (a machine without a
 * syslog daemon, like CI), the capture socket is bound there; where it exists, the capture is
 * bound elsewhere and {@link #wrap} runs a command in a private mount namespace with the capture
 * socket mounted over /dev/log, so the machine's syslog is never touched.
 */
final class SyslogCapture implements AutoCloseable {
    private static final Path DEV_LOG = Path.of("/dev/log");

    private final Path socket;
    private final boolean ownsDevLog;
    private final UnixDatagramChannel channel;
    private final List<String> messages = new ArrayList<>();
    private final Thread receiver;

    SyslogCapture(Path scratch) throws IOException {
        ownsDevLog = !Files.exists(DEV_LOG, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        socket = ownsDevLog ? DEV_LOG : scratch.resolve("syslog.sock");
        channel = UnixDatagramChannel.open();
        channel.bind(new UnixSocketAddress(socket.toFile()));
        Files.setPosixFilePermissions(socket, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
        receiver = new Thread(this::receive, "syslog-capture");
        receiver.setDaemon(true);
        receiver.start();
    }

    private void receive() {
        ByteBuffer buf = ByteBuffer.allocate(8192);
        while (channel.isOpen()) {
            buf.clear();
            try {
                channel.receive(buf);
            } catch (IOException e) {
                return;
            }
            buf.flip();
            synchronized (messages) {
                messages.add(StandardCharsets.UTF_8.decode(buf).toString());
            }
        }
    }

    /** The command, made to log into this capture. */
    List<String> wrap(List<String> command) {
        if (ownsDevLog) {
            return command;
        }
        List<String> wrapped = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount --bind \"$0\" /dev/log && exec \"$@\"", socket.toString()));
        wrapped.addAll(command);
        return wrapped;
    }

    /** Messages received so far that contain {@code text}, after giving stragglers a moment. */
    List<String> matching(String text) throws InterruptedException {
        Thread.sleep(100);
        synchronized (messages) {
            return messages.stream().filter(m -> m.contains(text)).toList();
        }
    }

    List<String> all() {
        synchronized (messages) {
            return List.copyOf(messages);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
        Files.deleteIfExists(socket);
    }
}
