package org.keyinitd.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Type=notify: the daemon tells systemd READY=1 once it accepts connections, RELOADING=1 and
 * READY=1 around a reload, STOPPING=1 at shutdown, on the datagram socket systemd names in
 * NOTIFY_SOCKET (here one the test binds, as systemd would).
 */
class NotifyIT {
    @TempDir
    static Path dir;

    @BeforeAll
    static void root() {
        Root.require();
    }

    @Test
    void theDaemonReportsReadyReloadingAndStopping() throws Exception {
        Path sock = dir.resolve("notify.sock");
        try (UnixDatagramChannel systemd = UnixDatagramChannel.open()) {
            systemd.bind(new UnixSocketAddress(sock.toFile()));
            systemd.configureBlocking(false);
            DaemonProcess d = DaemonProcess.startWithEnvironment(dir.resolve("daemon"), "",
                    Map.of("NOTIFY_SOCKET", sock.toString()));
            try {
                List<String> got = receive(systemd, 1);
                assertThat(got.get(0)).contains("READY=1").contains("MAINPID=" + d.pid());
                d.reload();
                assertThat(receive(systemd, 2)).containsExactly("RELOADING=1", "READY=1");
                assertThat(d.stop()).isZero();
                assertThat(receive(systemd, 1)).containsExactly("STOPPING=1");
            } finally {
                d.close();
            }
        }
    }

    /** One datagram if one is waiting: jnr's non-blocking receive answers "none" with null or with EAGAIN. */
    private static boolean receiveNow(UnixDatagramChannel ch, ByteBuffer buf) throws java.io.IOException {
        try {
            return ch.receive(buf) != null && buf.position() > 0;
        } catch (java.io.IOException e) {
            if (String.valueOf(e.getMessage()).contains("temporarily unavailable")) {
                return false;
            }
            throw e;
        }
    }

    /** The next {@code n} datagrams, waiting at most 10 s for them. */
    private static List<String> receive(UnixDatagramChannel ch, int n) throws Exception {
        List<String> out = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        ByteBuffer buf = ByteBuffer.allocate(4096);
        while (out.size() < n && System.nanoTime() < deadline) {
            buf.clear();
            if (receiveNow(ch, buf)) {
                buf.flip();
                out.add(StandardCharsets.UTF_8.decode(buf).toString());
            } else {
                Thread.onSpinWait();
            }
        }
        assertThat(out).as("datagrams from the daemon within 10 s").hasSize(n);
        return out;
    }
}
