package org.keyinitd.launcher;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * sd_notify(3) without libsystemd: under {@code Type=notify} systemd passes a datagram socket in
 * {@code NOTIFY_SOCKET}, and the daemon tells it {@code READY=1} once it accepts connections
 * (so no login races the start), {@code RELOADING=1} around a reload and {@code STOPPING=1} at
 * shutdown. Without {@code NOTIFY_SOCKET} (a terminal, jsvc, tests) every call does nothing.
 */
final class SystemdNotify {
    private static final Logger log = LoggerFactory.getLogger(SystemdNotify.class);

    private final String socket;

    private SystemdNotify(String socket) {
        this.socket = socket;
    }

    static SystemdNotify fromEnvironment() {
        return new SystemdNotify(System.getenv("NOTIFY_SOCKET"));
    }

    void ready(long pid) {
        send("READY=1\nMAINPID=" + pid + "\nSTATUS=accepting logins");
    }

    void reloading() {
        send("RELOADING=1");
    }

    void reloaded() {
        send("READY=1");
    }

    void stopping() {
        send("STOPPING=1");
    }

    private void send(String state) {
        if (socket == null || socket.isEmpty()) {
            return;
        }
        // "@name" is an abstract socket: its address starts with a NUL byte
        String path = socket.startsWith("@") ? "\0" + socket.substring(1) : socket;
        try (UnixDatagramChannel ch = UnixDatagramChannel.open()) {
            ch.send(ByteBuffer.wrap(state.getBytes(StandardCharsets.UTF_8)), new UnixSocketAddress(path));
        } catch (IOException | RuntimeException e) {
            log.warn("cannot notify systemd on {}: {}", socket, e.toString());
        }
    }
}
