package org.keyinitd.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.keyinitd.config.AuditSettings;

/** syslog = true: the datagrams a syslog daemon listening on the socket receives. */
class LocalSyslogAppenderTest {
    @TempDir
    Path dir;
    private Path socket;
    private UnixDatagramChannel syslogd;
    private final ExecutorService receiver = Executors.newSingleThreadExecutor();

    @BeforeEach
    void bind() throws IOException {
        socket = dir.resolve("log");
        syslogd = UnixDatagramChannel.open();
        syslogd.bind(new UnixSocketAddress(socket.toFile()));
    }

    @AfterEach
    void unbind() throws IOException {
        syslogd.close();
        receiver.shutdownNow();
    }

    private AuditSettings settings() {
        // a queue longer than any test's burst: nothing here may be dropped
        return new AuditSettings(dir.resolve("audit.log"), 1 << 30, 2, true, 10_000, 50);
    }

    private String receive() throws Exception {
        Future<String> f = receiver.submit(() -> {
            ByteBuffer buf = ByteBuffer.allocate(65536);
            syslogd.receive(buf);
            buf.flip();
            return StandardCharsets.UTF_8.decode(buf).toString();
        });
        return f.get(5, TimeUnit.SECONDS);
    }

    private static String expected(Instant ts, String line) {
        String stamp = DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss", Locale.US).format(ts.atZone(ZoneId.systemDefault()));
        return "<86>" + stamp + " keyinitd-audit[" + ProcessHandle.current().pid() + "]: " + line;
    }

    @Test
    void eachLineIsOneRfc3164DatagramAtAuthprivInfo() throws Exception {
        AuditLog audit = AuditLog.open(settings(), socket);
        AuditEvent first = AuditEvent.of("session.open", "created").with("user", "alice").with("note", "ü").build();
        AuditEvent second = AuditEvent.of("session.close", "revoked").with("user", "alice").build();
        audit.record(first);
        audit.record(second);
        audit.close();

        List<String> lines = Files.readAllLines(dir.resolve("audit.log"), StandardCharsets.UTF_8);
        assertThat(lines).hasSize(2);
        assertThat(receive()).isEqualTo(expected(first.ts(), lines.get(0)));
        assertThat(receive()).isEqualTo(expected(second.ts(), lines.get(1)));
        assertThat(audit.syslogFailures()).isZero();
    }

    @Test
    void theDayIsSpacePaddedAndTheTimeIsTheEventsLocalTime() throws Exception {
        AuditLog audit = AuditLog.open(settings(), socket);
        Instant ts = Instant.parse("2025-01-05T12:00:07Z"); // the 5th in every time zone
        audit.record(new AuditEvent(ts, "daemon.stop", "ok", Map.of()));
        audit.close();

        String got = receive();
        assertThat(got).startsWith("<86>Jan  5 ").endsWith("]: " + Files.readAllLines(dir.resolve("audit.log")).get(0));
        assertThat(got).isEqualTo(expected(ts, "{\"ts\":\"2025-01-05T12:00:07Z\",\"event\":\"daemon.stop\",\"outcome\":\"ok\"}"));
    }

    @Test
    void aMissingSocketIsCountedAndTheFileStillGetsEveryLine() throws Exception {
        AuditLog audit = AuditLog.open(settings(), dir.resolve("no-such-socket"));
        for (int i = 0; i < 3; i++) {
            audit.record(AuditEvent.of("test", "ok").with("n", i).build());
        }
        audit.close();

        assertThat(Files.readAllLines(dir.resolve("audit.log"))).hasSize(3);
        assertThat(audit.syslogFailures()).isEqualTo(3);
        assertThat(audit.dropped()).isZero();
    }

    @Test
    void aSyslogDaemonThatDoesNotReadNeverStallsTheFile() throws Exception {
        String pad = "y".repeat(2000);
        AuditLog audit = AuditLog.open(settings(), socket);
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            for (int i = 0; i < 2000; i++) { // far more than a datagram socket queues
                audit.record(AuditEvent.of("test", "ok").with("pad", pad).with("n", i).build());
            }
            audit.close();
        });

        assertThat(audit.dropped()).isZero();
        assertThat(Files.readAllLines(dir.resolve("audit.log")).size()).isEqualTo(2000);
        assertThat(audit.syslogFailures()).isPositive();
    }
}
