package org.keyinitd.server;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.nio.channels.spi.SelectorProvider;
import java.util.Map;
import java.util.Optional;
import jnr.enxio.channels.NativeSelectorProvider;
import jnr.unixsocket.UnixServerSocketChannel;

/**
 * systemd socket activation (sd_listen_fds(3)): with keyinitd.socket, systemd holds the
 * listening socket and passes it as fd 3 ({@code LISTEN_FDS}, {@code LISTEN_PID}). The socket
 * then outlives the daemon process: a login during a restart or an upgrade waits in the
 * socket's backlog instead of finding no socket, and is served once the new daemon runs.
 */
final class SocketActivation {
    /** SD_LISTEN_FDS_START: the first passed descriptor. */
    static final int FIRST_FD = 3;

    private SocketActivation() {
    }

    /**
     * The listening socket systemd passed to this process, or empty (started by hand, by jsvc,
     * or the variables are another process's). Exactly one socket is expected.
     */
    static Optional<UnixServerSocketChannel> inherited(Map<String, String> env, long pid) throws IOException {
        String listenPid = env.get("LISTEN_PID");
        String listenFds = env.get("LISTEN_FDS");
        if (listenPid == null || listenFds == null || !listenPid.equals(Long.toString(pid))) {
            return Optional.empty();
        }
        if (!listenFds.equals("1")) {
            throw new IOException("systemd passed " + listenFds + " sockets (LISTEN_FDS); keyinitd.socket must"
                    + " have exactly one ListenStream");
        }
        return Optional.of(adopt(FIRST_FD));
    }

    /** jnr-unixsocket builds a server channel over an existing descriptor only in its own package. */
    private static UnixServerSocketChannel adopt(int fd) throws IOException {
        try {
            Constructor<UnixServerSocketChannel> c = UnixServerSocketChannel.class
                    .getDeclaredConstructor(SelectorProvider.class, int.class);
            c.setAccessible(true);
            return c.newInstance(NativeSelectorProvider.getInstance(), fd);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IOException("cannot use the socket systemd passed (fd " + fd + "): " + e, e);
        }
    }
}
