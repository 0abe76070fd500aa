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
    private static final String MARKER = "syslog-capture-sync ";
    private final List<String> messages = new ArrayList<>();
    /** Markers {@link #sync()} sent that came back; guarded by messages. */
    private final java.util.Set<String> markersSeen = new java.util.HashSet<>();
    private final java.util.concurrent.atomic.AtomicLong markers = new java.util.concurrent.atomic.AtomicLong();
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
            String m = StandardCharsets.UTF_8.decode(buf).toString();
            synchronized (messages) {
                if (m.startsWith(MARKER)) {
                    markersSeen.add(m);
                } else {
                    messages.add(m);
                }
                messages.notifyAll();
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

    /**
     * Messages that contain {@code text}, of all sent so far: every process that logged before
     * this call (e.g. a harness that has exited) is in, see {@link #sync()}.
     */
    List<String> matching(String text) throws InterruptedException, IOException {
        sync();
        synchronized (messages) {
            return messages.stream().filter(m -> m.contains(text)).toList();
        }
    }

    List<String> all() throws InterruptedException, IOException {
        sync();
        synchronized (messages) {
            return List.copyOf(messages);
        }
    }

    /**
     * Returns once everything sent to the capture before this call has been received: a datagram
     * socket's queue is in order, so a marker sent now arrives after all of them. No sleeping on it.
     */
    void sync() throws InterruptedException, IOException {
        String marker = MARKER + markers.incrementAndGet();
        try (UnixDatagramChannel out = UnixDatagramChannel.open()) {
            out.send(ByteBuffer.wrap(marker.getBytes(StandardCharsets.UTF_8)), new UnixSocketAddress(socket.toFile()));
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        synchronized (messages) {
            while (!markersSeen.contains(marker)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException("syslog capture did not receive its own marker within 10 s");
                }
                messages.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
        Files.deleteIfExists(socket);
    }
}
