package org.keyinitd.it;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import jnr.unixsocket.UnixSocketOptions;
import org.keyinitd.protocol.Field;
import org.keyinitd.protocol.FieldType;
import org.keyinitd.protocol.Fields;
import org.keyinitd.protocol.FrameCodec;
import org.keyinitd.protocol.ModuleFlags;
import org.keyinitd.protocol.Op;
import org.keyinitd.protocol.OpenRequest;

/**
 * A misbehaving local client, run by HostileIT as an unprivileged user in its own process:
 * {@code HostileClient SOCKET UID CASE...}. Prints one result line per case:
 * {@code case=NAME status=N message=...} for a reply, {@code case=NAME closed ms=N} for a
 * connection the daemon closed without one.
 */
public final class HostileClient {
    private static final int MAGIC = FrameCodec.MAGIC;

    private HostileClient() {
    }

    public static void main(String[] args) throws Exception {
        String socket = args[0];
        long uid = Long.parseLong(args[1]);
        for (int i = 2; i < args.length; i++) {
            String c = args[i];
            switch (c) {
                case "bad-magic" -> once(socket, c, header(0xDEADBEEF, 1, Op.PING.code(), 0), false);
                case "bad-version" -> once(socket, c, header(MAGIC, 9, Op.PING.code(), 0), false);
                case "too-large" -> once(socket, c, header(MAGIC, 1, Op.OPEN.code(), 1_000_000), false);
                case "truncated-body" -> once(socket, c, concat(header(MAGIC, 1, Op.OPEN.code(), 100), new byte[10]), true);
                case "unknown-op" -> once(socket, c, header(MAGIC, 1, 99, 0), false);
                case "field-too-long" -> once(socket, c, open(raw(Field.USER, "x".repeat(300).getBytes(StandardCharsets.UTF_8)), uid), false);
                case "invalid-utf8" -> once(socket, c, open(raw(Field.USER, new byte[] {(byte) 0xC3, 0x28}), uid), false);
                case "not-a-session-id" -> once(socket, c, request(Op.CLOSE, Fields.builder()
                        .put(Field.SESSION_ID, "\r\nINFO forged").put(Field.ABORT, false).build()), false);
                case "other-uid" -> once(socket, c, request(Op.OPEN, openFor("root", 0)), false);
                case "wrong-name" -> once(socket, c, request(Op.OPEN, openFor("root", uid)), false);
                case "slowloris" -> slowloris(socket);
                case "idle-flood" -> idleFlood(socket);
                case "refused-flood" -> refusedFlood(socket, Integer.parseInt(args[++i]));
                case "hold" -> hold(socket, Integer.parseInt(args[++i]));
                case "close-then-ping" -> closeThenPing(socket);
                case "silent-churn" -> silentChurn(socket, Integer.parseInt(args[++i]));
                default -> throw new IllegalArgumentException("unknown case " + c);
            }
        }
    }

    private static void once(String socket, String name, byte[] bytes, boolean halfClose) throws IOException {
        try (UnixSocketChannel ch = connect(socket)) {
            long t0 = System.nanoTime();
            ch.write(ByteBuffer.wrap(bytes));
            if (halfClose) {
                ch.shutdownOutput();
            }
            report(name, ch, t0);
        }
    }

    /** One byte every 300 ms: the daemon must cut it off at its request deadline. */
    private static void slowloris(String socket) throws IOException, InterruptedException {
        byte[] frame = header(MAGIC, 1, Op.PING.code(), 0);
        try (UnixSocketChannel ch = connect(socket)) {
            long t0 = System.nanoTime();
            for (byte b : frame) {
                try {
                    ch.write(ByteBuffer.wrap(new byte[] {b}));
                } catch (IOException e) {
                    break; // closed on us: good
                }
                Thread.sleep(300);
                if (!ch.isConnected()) {
                    break;
                }
            }
            report("slowloris", ch, t0);
        }
    }

    /** Opens 2000 connections and holds them idle: the per-uid limit must turn most away at once. */
    private static void idleFlood(String socket) throws IOException, InterruptedException {
        List<UnixSocketChannel> held = new ArrayList<>();
        int busy = 0;
        int failed = 0;
        for (int i = 0; i < 2000; i++) {
            try {
                held.add(connect(socket));
            } catch (IOException e) {
                failed++;
            }
        }
        Thread.sleep(500);
        int open = 0;
        for (UnixSocketChannel ch : held) {
            ch.setOption(UnixSocketOptions.SO_RCVTIMEO, 20);
            ByteBuffer buf = ByteBuffer.allocate(64);
            int n = ch.read(buf);
            if (n > 0) {
                busy++;
            } else if (n == 0) {
                open++;
            }
        }
        System.out.println("case=idle-flood busy=" + busy + " open=" + open + " connect_failed=" + failed);
        System.out.println("flood-holding");
        System.out.flush();
        Thread.sleep(3000);
        for (UnixSocketChannel ch : held) {
            ch.close();
        }
        System.out.println("flood-done");
    }

    /**
     * 4 threads, {@code total} refused OPENs between them (for root, which an unprivileged peer may
     * not ask for), every string field as long as the protocol allows and full of CR, LF and
     * terminal escapes. Prints "flood-started" after the first 100, then one result line.
     */
    private static void refusedFlood(String socket, int total) throws Exception {
        String junk = "\r\n2026-01-01T00:00:00Z INFO forged \u001b[2J\u001b]0;pwned\u0007\u0001".repeat(20);
        byte[] frame = request(Op.OPEN, new OpenRequest(junk.substring(0, 250), "root", 0, 0,
                java.util.Optional.of(junk.substring(0, 250)), java.util.Optional.of((junk + junk + junk).substring(0, 1000)),
                java.util.Optional.of(junk.substring(0, 250)), new ModuleFlags(false, false, false),
                org.keyinitd.protocol.CallerKeyring.NONE, java.util.OptionalLong.empty()).toFields());
        java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.atomic.AtomicInteger> counts =
                new java.util.concurrent.ConcurrentHashMap<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread th = new Thread(() -> {
                while (sent.incrementAndGet() <= total) {
                    if (sent.get() == 100) {
                        System.out.println("flood-started");
                        System.out.flush();
                    }
                    String what;
                    try (UnixSocketChannel ch = connect(socket)) {
                        ch.write(ByteBuffer.wrap(frame));
                        ch.setOption(UnixSocketOptions.SO_RCVTIMEO, 2000);
                        ByteBuffer head = ByteBuffer.allocate(FrameCodec.HEADER_SIZE);
                        while (head.hasRemaining() && ch.read(head) > 0) {
                            // reading the reply header
                        }
                        what = head.hasRemaining() ? "closed" : "status" + (head.get(6) << 8 | head.get(7) & 0xff);
                    } catch (IOException e) {
                        what = "error";
                    }
                    counts.computeIfAbsent(what, k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
                }
            });
            th.start();
            threads.add(th);
        }
        for (Thread th : threads) {
            th.join();
        }
        System.out.println("case=refused-flood " + new java.util.TreeMap<>(counts));
    }

    /**
     * Holds up to {@code n} connections, sending a PING on each every 300 ms so none goes idle,
     * until stdin closes. Prints "holding open=K busy=B" once it knows which ones the daemon kept.
     */
    private static void hold(String socket, int n) throws Exception {
        List<UnixSocketChannel> held = new ArrayList<>();
        int busy = 0;
        for (int i = 0; i < n; i++) {
            UnixSocketChannel ch = connect(socket);
            try {
                ch.setOption(UnixSocketOptions.SO_RCVTIMEO, 2000);
            ch.write(ByteBuffer.wrap(header(MAGIC, 1, Op.PING.code(), 0)));
            ByteBuffer head = ByteBuffer.allocate(FrameCodec.HEADER_SIZE);
            while (head.hasRemaining() && ch.read(head) > 0) {
                // the reply: OK for a kept connection, BUSY for a refused one
            }
            int status = head.hasRemaining() ? -1 : (head.get(6) << 8 | head.get(7) & 0xff);
            if (status == 0) {
                ByteBuffer body = ByteBuffer.allocate(head.getInt(8));
                while (body.hasRemaining() && ch.read(body) > 0) {
                    // PING's body
                }
                held.add(ch);
            } else {
                busy++;
                ch.close();
            }
            } catch (IOException e) {
                busy++; // refused and closed before our PING went out
                ch.close();
            }
        }
        System.out.println("holding open=" + held.size() + " busy=" + busy);
        System.out.flush();
        Thread stdin = new Thread(() -> {
            try {
                System.in.read();
            } catch (IOException ignored) {
                // closed
            }
        });
        stdin.start();
        while (stdin.isAlive()) {
            for (UnixSocketChannel ch : held) {
                ch.write(ByteBuffer.wrap(header(MAGIC, 1, Op.PING.code(), 0)));
                ByteBuffer reply = ByteBuffer.allocate(256);
                ch.read(reply);
            }
            Thread.sleep(300); // the attack's pace, not a synchronization
        }
        for (UnixSocketChannel ch : held) {
            ch.close();
        }
    }

    /**
     * A CLOSE and a PING in one write, as a client that hopes to keep a module's connection for
     * more: the daemon answers the CLOSE (an unknown session) and ends the connection, so the
     * PING gets no reply. Prints {@code case=close-then-ping first=status=N second=closed|status=N}.
     */
    private static void closeThenPing(String socket) throws IOException {
        byte[] close = request(Op.CLOSE, new org.keyinitd.protocol.CloseRequest("0123456789abcdef0123456789abcdef",
                java.util.Optional.empty(), false).toFields());
        try (UnixSocketChannel ch = connect(socket)) {
            ch.write(ByteBuffer.wrap(concat(close, header(MAGIC, 1, Op.PING.code(), 0))));
            ch.setOption(UnixSocketOptions.SO_RCVTIMEO, 5000);
            String first = readReply(ch);
            String second = readReply(ch);
            System.out.println("case=close-then-ping first=" + first + " second=" + second);
        }
    }

    /** One reply's status as {@code status=N}, or {@code closed} when the daemon hung up first. */
    private static String readReply(UnixSocketChannel ch) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(FrameCodec.HEADER_SIZE);
        while (head.hasRemaining()) {
            int n;
            try {
                n = ch.read(head);
            } catch (IOException e) {
                n = -1; // reset by the daemon's close
            }
            if (n <= 0) {
                return n < 0 ? "closed" : "timeout";
            }
        }
        ByteBuffer body = ByteBuffer.allocate(head.getInt(8));
        while (body.hasRemaining() && ch.read(body) > 0) {
            // the reply's fields: not needed
        }
        return "status=" + (head.get(6) << 8 | head.get(7) & 0xff);
    }

    /**
     * {@code threads} threads that each connect, send nothing and wait for the daemon to hang up
     * (its idle timeout, or BUSY when the uid's connections are all taken), then connect again,
     * until stdin closes: a daemon whose accepting thread waited for a silent connection's first
     * frame would be stuck on these. Prints "churning" once every thread has connected, then at
     * the end {@code case=silent-churn connections=N}.
     */
    private static void silentChurn(String socket, int threads) throws Exception {
        java.util.concurrent.atomic.AtomicInteger made = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        List<Thread> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                while (!stop.get()) {
                    try (UnixSocketChannel ch = connect(socket)) {
                        if (made.incrementAndGet() == threads) {
                            System.out.println("churning");
                            System.out.flush();
                        }
                        ch.setOption(UnixSocketOptions.SO_RCVTIMEO, 100); // to see stop in time
                        ByteBuffer sink = ByteBuffer.allocate(256);
                        while (!stop.get() && ch.read(sink) >= 0) {
                            sink.clear(); // BUSY's reply, or nothing yet
                        }
                    } catch (IOException e) {
                        // reset by the daemon: connect again
                    }
                }
            });
            th.start();
            all.add(th);
        }
        System.in.read();
        stop.set(true);
        for (Thread th : all) {
            th.join();
        }
        System.out.println("case=silent-churn connections=" + made.get());
    }

    private static void report(String name, UnixSocketChannel ch, long t0) throws IOException {
        ch.setOption(UnixSocketOptions.SO_RCVTIMEO, 200);
        ByteBuffer head = ByteBuffer.allocate(FrameCodec.HEADER_SIZE);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (head.hasRemaining() && System.nanoTime() < deadline) {
            int n;
            try {
                n = ch.read(head);
            } catch (IOException e) {
                n = -1;
            }
            if (n < 0) {
                System.out.println("case=" + name + " closed ms=" + (System.nanoTime() - t0) / 1_000_000);
                return;
            }
        }
        if (head.hasRemaining()) {
            System.out.println("case=" + name + " timeout");
            return;
        }
        head.flip();
        head.getInt();
        head.get();
        head.get();
        int status = head.getShort() & 0xFFFF;
        int len = head.getInt();
        ByteBuffer body = ByteBuffer.allocate(len);
        while (body.hasRemaining() && ch.read(body) > 0) {
            // read the message
        }
        String message;
        try {
            message = FrameCodec.decodeFields(body.array()).string(Field.MESSAGE).orElse("");
        } catch (Exception e) {
            message = "(undecodable: " + e.getMessage() + ")";
        }
        System.out.println("case=" + name + " status=" + status + " message=" + message);
    }

    private static UnixSocketChannel connect(String socket) throws IOException {
        return UnixSocketChannel.open(new UnixSocketAddress(new java.io.File(socket)));
    }

    private static byte[] header(int magic, int version, int op, long length) {
        return ByteBuffer.allocate(12).putInt(magic).put((byte) version).put((byte) op).putShort((short) 0)
                .putInt((int) length).array();
    }

    private static byte[] raw(Field field, byte[] value) {
        return ByteBuffer.allocate(5 + value.length).putShort((short) field.tag()).put((byte) FieldType.STR.code())
                .putShort((short) value.length).put(value).array();
    }

    /** An OPEN whose USER field is {@code userField}, the rest valid for {@code uid}. */
    private static byte[] open(byte[] userField, long uid) {
        byte[] rest = FrameCodec.encodeRequest(Op.OPEN.code(), Fields.builder().put(Field.SERVICE, "hostile")
                .putU32(Field.UID, uid).putU32(Field.GID, uid).putU32(Field.MODULE_FLAGS, 0)
                .put(Field.HAS_SESSION_KEYRING, false).build());
        byte[] body = concat(userField, java.util.Arrays.copyOfRange(rest, 12, rest.length));
        return concat(header(MAGIC, 1, Op.OPEN.code(), body.length), body);
    }

    private static Fields openFor(String user, long uid) {
        return new OpenRequest("hostile", user, uid, uid, java.util.Optional.empty(), java.util.Optional.empty(),
                java.util.Optional.empty(), new ModuleFlags(false, false, false),
                org.keyinitd.protocol.CallerKeyring.NONE, java.util.OptionalLong.empty()).toFields();
    }

    private static byte[] request(Op op, Fields fields) {
        return FrameCodec.encodeRequest(op.code(), fields);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
