package org.keyinitd.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import jnr.unixsocket.UnixServerSocketChannel;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.keyinitd.protocol.FrameCodec;

/**
 * The module facing a broken or fake daemon (docs/security.md, "Fault cases"): each case returns
 * within the timeout with its on_error result, logs one clear syslog line, and leaves the login
 * process's ids exactly as they were.
 */
class ModuleFaultsIT {
    private static final int TIMEOUT_MS = 400;
    /** Slack for process start-up and scheduling on a busy machine. */
    private static final double MARGIN_MS = 1500;

    @TempDir
    static Path dir;
    static TestUsers users;
    static TestUsers.User user;
    static PamHarness pam;
    static SyslogCapture syslog;
    final List<AutoCloseable> servers = new ArrayList<>();

    @BeforeAll
    static void setUp() throws Exception {
        Root.require();
        users = new TestUsers();
        user = users.create();
        pam = new PamHarness(dir.resolve("pam.d"));
        syslog = new SyslogCapture(dir);
    }

    @AfterEach
    void stopServers() throws Exception {
        for (AutoCloseable s : servers) {
            s.close();
        }
        servers.clear();
    }

    @AfterAll
    static void tearDown() throws Exception {
        Fixtures.closeAll(syslog, users);
    }

    /** Runs one fault case with on_error=fail and checks the common promises; returns the harness output. */
    private PamHarness.Result fails(String name, Path socket, String expectedLog) throws Exception {
        PamHarness.Result r = failsJoiningNothingOrRevoked(name, socket, expectedLog);
        assertThat(r.getInt("ses")).as("no keyring joined").isEqualTo(r.getInt("before_ses"));
        return r;
    }

    private PamHarness.Result failsJoiningNothingOrRevoked(String name, Path socket, String expectedLog)
            throws Exception {
        pam.service(name, "session required MODULE socket=" + socket + " timeout=" + TIMEOUT_MS + " on_error=fail");
        PamHarness.Result r = pam.run(syslog, name, user.name());
        assertThat(r.getInt("open_rc")).as(r.output()).isEqualTo(PamHarness.PAM_SESSION_ERR);
        assertThat(r.getDouble("open_ms")).isLessThan(TIMEOUT_MS + MARGIN_MS);
        assertThat(r.get("creds_unchanged")).isEqualTo("1");
        // One clear line per failure, naming the module, the service and the cause.
        assertThat(syslog.matching("pam_keyinitd(" + name + ":session)")).as("syslog: %s", syslog.all())
                .singleElement().asString().contains(expectedLog).contains("on_error=fail");
        return r;
    }

    @Test
    void noDaemonAtAll() throws Exception {
        fails("nodaemon", dir.resolve("absent.sock"), "No such file or directory");
    }

    @Test
    void aSocketOwnedByAnotherUserIsNotTrusted() throws Exception {
        Path sock = server("foreign.sock", ch -> { });
        Files.setOwner(sock, sock.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(user.name()));
        fails("foreign", sock, "is owned by uid " + user.uid() + ", not root");
    }

    @Test
    void aSymlinkIsNotFollowed() throws Exception {
        Path real = server("real.sock", ch -> { });
        Path link = dir.resolve("link.sock");
        Files.createSymbolicLink(link, real);
        fails("symlink", link, "is a symlink");
    }

    @Test
    void aDaemonThatNeverAnswersCostsTheTimeout() throws Exception {
        Path sock = server("silent.sock", ch -> sleep(10_000));
        PamHarness.Result r = fails("silent", sock, "timed out after " + TIMEOUT_MS + " ms");
        assertThat(r.getDouble("open_ms")).isGreaterThanOrEqualTo(TIMEOUT_MS - 10);
    }

    @Test
    void aDaemonAnsweringGarbage() throws Exception {
        Path sock = server("garbage.sock", ch -> reply(ch, "HTTP/1.1 200 OK\r\n\r\nhello".getBytes(StandardCharsets.US_ASCII)));
        fails("garbage", sock, "bad reply");
    }

    @Test
    void aDaemonDyingInTheMiddleOfAReply() throws Exception {
        byte[] head = ByteBuffer.allocate(8).putInt(FrameCodec.MAGIC).put((byte) 1).put((byte) 0x82).putShort((short) 0)
                .array();
        Path sock = server("dying.sock", ch -> reply(ch, head));
        fails("dying", sock, "in the middle of a reply");
    }

    @Test
    void fallbackStillGivesTheLoginAKeyringWhenTheDaemonAnswersGarbage() throws Exception {
        Path sock = server("garbage2.sock", ch -> reply(ch, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
        pam.service("garbage-fallback", "session required MODULE socket=" + sock + " timeout=" + TIMEOUT_MS + " revoke");
        PamHarness.Result r = pam.run(syslog, "garbage-fallback", user.name());
        assertThat(r.getInt("open_rc")).as(r.output()).isZero();
        assertThat(r.getInt("ses")).isNotEqualTo(r.getInt("before_ses"));
        assertThat(r.state(r.getInt("ses"))).isEqualTo("revoked");
        assertThat(r.get("creds_unchanged")).isEqualTo("1");
        assertThat(syslog.matching("fell back to in-process keyring " + r.getInt("ses"))).hasSize(1);
    }

    @Test
    void aKeyringThatIsNotTheDaemonsIsRevokedAndTheDaemonsAborted() throws Exception {
        // A "daemon" that answers CREATED with a name nobody created: the join by name then
        // makes a fresh keyring, whose serial cannot match.
        java.util.List<org.keyinitd.protocol.Fields> closes = new java.util.concurrent.CopyOnWriteArrayList<>();
        Path sock = dir.resolve("liar.sock");
        UnixServerSocketChannel server = UnixServerSocketChannel.open();
        server.socket().bind(new UnixSocketAddress(sock.toFile()));
        servers.add(() -> {
            server.close();
            Files.deleteIfExists(sock);
        });
        Thread t = new Thread(() -> {
            while (server.isOpen()) {
                try (UnixSocketChannel ch = server.accept()) {
                    ByteBuffer buf = ByteBuffer.allocate(4096);
                    ch.read(buf);
                    int op = buf.get(5);
                    org.keyinitd.protocol.Fields f = FrameCodec.decodeFields(
                            java.util.Arrays.copyOfRange(buf.array(), FrameCodec.HEADER_SIZE, buf.position()));
                    org.keyinitd.protocol.Fields.Builder reply = org.keyinitd.protocol.Fields.builder();
                    if (op == org.keyinitd.protocol.Op.OPEN.code()) {
                        reply.putU32(org.keyinitd.protocol.Field.DECISION, org.keyinitd.protocol.Decision.CREATED.code())
                                .put(org.keyinitd.protocol.Field.SESSION_ID, "0".repeat(32))
                                .put(org.keyinitd.protocol.Field.KEYRING_NAME, "keyinitd." + "f".repeat(32))
                                .putI32(org.keyinitd.protocol.Field.KEYRING_SERIAL, 12345)
                                .put(org.keyinitd.protocol.Field.WILL_REVOKE, true);
                    } else {
                        closes.add(f);
                        reply.putU32(org.keyinitd.protocol.Field.DECISION, org.keyinitd.protocol.Decision.REVOKED.code());
                    }
                    ch.write(ByteBuffer.wrap(FrameCodec.encodeReply(new org.keyinitd.protocol.Reply(op,
                            org.keyinitd.protocol.Status.OK, reply.build()))));
                } catch (Exception e) {
                    if (!server.isOpen()) {
                        return;
                    }
                }
            }
        });
        t.setDaemon(true);
        t.start();

        PamHarness.Result r = failsJoiningNothingOrRevoked("liar", sock, "but the daemon made 12345");
        // The join made the process a fresh keyring; the module revoked it, and did not leave the
        // login on a dead keyring: it is on the user's own user-session keyring.
        assertThat(r.get("ses_desc")).as(r.output()).startsWith("keyring;" + user.uid() + ";")
                .endsWith(";_uid_ses." + user.uid());
        assertThat(syslog.all()).as("the fake keyring was revoked without complaint")
                .noneMatch(l -> l.contains("cannot revoke"));
        assertThat(closes).singleElement().satisfies(f -> {
            assertThat(f.string(org.keyinitd.protocol.Field.SESSION_ID)).contains("0".repeat(32));
            assertThat(f.bool(org.keyinitd.protocol.Field.ABORT)).contains(true);
        });
    }

    @Test
    void anUnknownUserIsUserUnknown() throws Exception {
        pam.service("unknown", "session required MODULE socket=" + dir.resolve("absent.sock"));
        PamHarness.Result r = pam.run(syslog, "unknown", "no-such-user-kit");
        assertThat(r.getInt("open_rc")).as(r.output()).isEqualTo(10); // PAM_USER_UNKNOWN
        // as for every other fault: exactly one line from this service, saying what went wrong
        assertThat(syslog.matching("pam_keyinitd(unknown:session)")).as("syslog: %s", syslog.all())
                .singleElement().asString().contains("unable to look up user \"no-such-user-kit\"");
    }

    /** A fake daemon (running as root, so SO_PEERCRED passes) that reads a request and then does {@code behaviour}. */
    private Path server(String name, Consumer<UnixSocketChannel> behaviour) throws Exception {
        Path sock = dir.resolve(name);
        UnixServerSocketChannel server = UnixServerSocketChannel.open();
        server.socket().bind(new UnixSocketAddress(sock.toFile()));
        Thread t = new Thread(() -> {
            while (server.isOpen()) {
                try (UnixSocketChannel ch = server.accept()) {
                    if (ch != null) {
                        ch.read(ByteBuffer.allocate(4096));
                        behaviour.accept(ch);
                    }
                } catch (Exception e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        servers.add(() -> {
            server.close();
            Files.deleteIfExists(sock);
        });
        return sock;
    }

    private static void reply(UnixSocketChannel ch, byte[] bytes) {
        try {
            ch.write(ByteBuffer.wrap(bytes));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
