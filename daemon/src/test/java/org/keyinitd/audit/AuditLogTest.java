package org.keyinitd.audit;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.keyinitd.config.AuditSettings;
import org.slf4j.LoggerFactory;

class AuditLogTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private AuditLog audit;

    @AfterEach
    void tearDown() {
        if (audit != null) {
            audit.close();
        }
    }

    private Path file() {
        return dir.resolve("audit.log");
    }

    private AuditLog open(int queueSize) throws Exception {
        audit = AuditLog.open(new AuditSettings(file(), 1L << 30, 3, false, queueSize, 50));
        return audit;
    }

    private static AuditEvent event(int n) {
        return AuditEvent.of("session.open", "created").with("user", "alice").with("uid", 1001)
                .with("rhost", java.util.Optional.empty()).with("note", "quote \" newline \n ü").with("n", n).build();
    }

    private List<JsonNode> lines() throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file(), StandardCharsets.UTF_8)) {
            out.add(JSON.readTree(line));
        }
        return out;
    }

    @Test
    void linesAreJsonInRecordOrderWithTsEventOutcomeFirst() throws Exception {
        open(1000);
        List<AuditEvent> recorded = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            AuditEvent e = event(i);
            recorded.add(e);
            audit.record(e);
        }
        audit.close();

        List<JsonNode> lines = lines();
        assertThat(lines).hasSize(200);
        for (int i = 0; i < 200; i++) {
            JsonNode n = lines.get(i);
            List<String> names = new ArrayList<>();
            n.fieldNames().forEachRemaining(names::add);
            assertThat(names).containsExactly("ts", "event", "outcome", "user", "uid", "note", "n");
            assertThat(n.get("ts").asText()).isEqualTo(recorded.get(i).ts().toString());
            assertThat(n.get("event").asText()).isEqualTo("session.open");
            assertThat(n.get("outcome").asText()).isEqualTo("created");
            assertThat(n.get("note").asText()).isEqualTo("quote \" newline \n ü");
            assertThat(n.get("n").asInt()).isEqualTo(i);
        }
        assertThat(audit.dropped()).isZero();
    }

    @Test
    void closeWritesEverythingQueuedFromEveryThread() throws Exception {
        open(100_000);
        int threads = 4;
        int each = 10_000;
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            workers.add(new Thread(() -> {
                for (int i = 0; i < each; i++) {
                    audit.record(AuditEvent.of("test", "ok").with("t", id).with("n", i).build());
                }
            }));
        }
        workers.forEach(Thread::start);
        for (Thread w : workers) {
            w.join();
        }
        audit.close(); // right away: most lines are still queued

        List<JsonNode> lines = lines();
        assertThat(lines).hasSize(threads * each);
        int[] next = new int[threads];
        for (JsonNode n : lines) {
            int t = n.get("t").asInt();
            assertThat(n.get("n").asInt()).as("thread %d order", t).isEqualTo(next[t]++);
        }
        assertThat(audit.dropped()).isZero();
    }

    @Test
    void recordAfterCloseIsDroppedAndCounted() throws Exception {
        open(100);
        audit.record(event(0));
        audit.close();
        audit.record(event(1));
        audit.record(event(2));

        assertThat(lines()).hasSize(1);
        assertThat(audit.dropped()).isEqualTo(2);
        audit.close(); // twice is harmless
    }

    @Test
    void queueSizeZeroWritesBeforeRecordReturns() throws Exception {
        open(0);
        for (int i = 0; i < 5; i++) {
            audit.record(event(i));
            assertThat(lines()).hasSize(i + 1);
            assertThat(lines().get(i).get("n").asInt()).isEqualTo(i);
        }
        audit.close();
        audit.record(event(5));
        assertThat(audit.dropped()).isEqualTo(1);
        assertThat(lines()).hasSize(5);
    }

    @Test
    void listenersSeeEveryEventAndAThrowingListenerChangesNothing() throws Exception {
        open(100);
        List<AuditEvent> seen = Collections.synchronizedList(new ArrayList<>());
        List<String> threads = Collections.synchronizedList(new ArrayList<>());
        audit.addListener(e -> {
            throw new IllegalStateException("listener bug");
        });
        audit.addListener(e -> {
            seen.add(e);
            threads.add(Thread.currentThread().getName());
        });
        AuditEvent a = event(0);
        AuditEvent b = event(1);
        audit.record(a);
        audit.record(b);
        audit.close();
        AuditEvent late = event(2);
        audit.record(late);

        assertThat(seen).containsExactly(a, b, late);
        assertThat(threads).containsOnly(Thread.currentThread().getName());
        assertThat(lines()).hasSize(2);
    }

    @Test
    void aStuckDiskDropsNoiseAtHalfTheQueueButRealEventsWaitAndAreNeverDropped() throws Exception {
        StuckAppender stuck = new StuckAppender();
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        stuck.setContext(ctx);
        stuck.start();
        audit = new AuditLog(ctx, List.of(stuck), 10, 30);

        audit.record(event(0));
        assertThat(stuck.entered.await(5, TimeUnit.SECONDS)).as("writer took the first line").isTrue();
        for (int i = 1; i <= 6; i++) { // noise may fill half the queue (5 lines); the 6th is dropped
            audit.record(noise(i));
        }
        assertThat(audit.dropped()).isEqualTo(1);
        for (int i = 7; i <= 11; i++) { // real events take the other half
            audit.record(event(i));
        }
        assertThat(audit.dropped()).isEqualTo(1);
        Thread waiting = new Thread(() -> audit.record(event(12)), "real-event");
        waiting.start();
        while (waiting.getState() != Thread.State.TIMED_WAITING) {
            Thread.onSpinWait(); // the 12th real event waits for room instead of being dropped
        }
        assertThat(waiting.isAlive()).isTrue();
        audit.record(noise(13)); // a full queue drops noise at once
        assertThat(audit.dropped()).isEqualTo(2);

        stuck.release.countDown();
        waiting.join();
        audit.close();
        List<Integer> written = new ArrayList<>();
        for (String l : stuck.lines) {
            written.add(JSON.readTree(l).get("n").asInt());
        }
        assertThat(written).containsExactly(0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12);
        assertThat(audit.dropped()).isEqualTo(2);
    }

    private static AuditEvent noise(int n) {
        return AuditEvent.of("session.open", "denied").noise(true).with("n", n).build();
    }

    /** A disk that hangs: the first append blocks until released. */
    private static final class StuckAppender extends AppenderBase<ILoggingEvent> {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final List<String> lines = Collections.synchronizedList(new ArrayList<>());

        @Override
        protected void append(ILoggingEvent event) {
            entered.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            lines.add(event.getFormattedMessage());
        }
    }
}
