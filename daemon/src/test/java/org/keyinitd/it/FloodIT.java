package org.keyinitd.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13: what unprivileged users can do to the logs and to root's connections. A refused-request
 * flood from one uid grows all logs together by at most 1 MiB while every real login during it is
 * served and audited; connections held by many uids never leave root without one.
 */
class FloodIT {
    static final long MIB = 1024 * 1024;

    @TempDir
    static Path dir;
    static TestUsers users;
    static PamHarness pam;

    @BeforeAll
    static void setUp() throws Exception {
        Root.require();
        users = new TestUsers();
        pam = new PamHarness(dir.resolve("pam.d"));
    }

    @AfterAll
    static void tearDown() throws Exception {
        Fixtures.closeAll(users);
    }

    @Test
    void aRefusedRequestFloodIsBudgetedAndEveryRealLoginIsServedAndAudited() throws Exception {
        TestUsers.User eve = users.create();
        TestUsers.User alice = users.create();
        try (DaemonProcess d = DaemonProcess.start(dir.resolve("flood"), "")) {
            pam.service("login", "session required MODULE socket=" + d.socket() + " on_error=fail force revoke");
            long before = d.bytesLogged();
            Process flood = new ProcessBuilder(HostileIT.command(d.socket(), eve, "refused-flood", "20000"))
                    .redirectErrorStream(true).start();
            List<String> lines = new ArrayList<>();
            PamHarness.Result logins = null;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(flood.getInputStream()))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                    if (line.equals("flood-started")) {
                        // on_error=fail: a login that missed its 1000 ms module timeout would fail
                        logins = pam.run("login", alice.name(), "--repeat", "30");
                    }
                }
            }
            flood.waitFor();
            String result = lines.stream().filter(l -> l.startsWith("case=refused-flood")).findFirst()
                    .orElseThrow(() -> new AssertionError(String.join("\n", lines)));
            assertThat(logins).as(String.join("\n", lines)).isNotNull();
            assertThat(logins.getInt("ok")).as(logins.output()).isEqualTo(30);
            assertThat(d.stop()).isZero();
            long grown = d.bytesLogged() - before;
            System.out.println("FloodIT: " + result + "; all logs grew by " + grown + " bytes");
            assertThat(grown).as("bytes added to all logs together by 20000 refused requests: " + result)
                    .isLessThan(MIB);
            int busy = Integer.parseInt(result.replaceAll(".*status7=(\\d+).*", "$1"));
            assertThat(busy).as(result).isGreaterThan(19000);

            List<JsonNode> audit = d.audit();
            long created = audit.stream().filter(n -> n.path("event").asText().equals("session.open")
                    && n.path("outcome").asText().equals("created") && n.path("user").asText().equals(alice.name()))
                    .count();
            long revoked = audit.stream().filter(n -> n.path("event").asText().equals("session.close")
                    && n.path("outcome").asText().equals("revoked") && n.path("user").asText().equals(alice.name()))
                    .count();
            assertThat(created).isEqualTo(30);
            assertThat(revoked).isEqualTo(30);
            // One summary a minute and one at stop: the flood may straddle a minute, so add them up.
            List<JsonNode> limited = audit.stream().filter(n -> n.path("event").asText().equals("requests.limited"))
                    .toList();
            assertThat(limited).as("requests.limited summaries").isNotEmpty();
            long summarized = 0;
            for (JsonNode line : limited) {
                for (JsonNode u : line.path("uids")) {
                    assertThat(u.path("peer_uid").asLong()).isEqualTo(eve.uid());
                    summarized += u.path("count").asLong();
                }
            }
            // BUSY also answers the odd reconnect that finds the per-uid connection cap still full
            // (counted by the connection limiter, not the request budget): at most that many fewer.
            assertThat(summarized).as("rate-limited requests counted in the summaries (of %d BUSY)", busy)
                    .isLessThanOrEqualTo(busy).isGreaterThan(19000);
            String log = d.log();
            assertThat(log).contains(" more refused requests from uid " + eve.uid() + " in the last ");
            assertThat(log).doesNotContain("\u001b").doesNotContain("\r").doesNotContain("\nINFO forged")
                    .doesNotContain("\n2026-01-01T00:00:00Z");
            assertThat(d.audit("session.open", "denied")).allSatisfy(n -> {
                assertThat(n.path("truncated").asBoolean()).isTrue();
                assertThat(n.path("rhost").asText()).hasSizeLessThanOrEqualTo(64);
            });
        }
    }

    @Test
    void runningOutOfDescriptorsIsLoggedBoundedAndServingResumesOnceTheyAreFree() throws Exception {
        TestUsers.User alice = users.create();
        try (DaemonProcess d = DaemonProcess.start(dir.resolve("nofile"), "")) {
            pam.service("nofile-login", "session required MODULE socket=" + d.socket() + " on_error=fail force revoke");
            String pid = Long.toString(d.pid());
            long inUse;
            try (var fds = Files.list(Path.of("/proc", pid, "fd"))) {
                inUse = fds.count();
            }
            long limit = inUse + 8;
            Commands.check(List.of("prlimit", "--pid", pid, "--nofile=" + limit + ":")); // the soft limit
            List<UnixSocketChannel> held = new ArrayList<>();
            try {
                for (int i = 0; i < 40; i++) { // 8 fit; the rest wait in the listen backlog
                    held.add(UnixSocketChannel.open(new UnixSocketAddress(d.socket().toFile())));
                }
                d.awaitLog("accept failed: ", 10);
                assertThat(d.log()).contains("Too many open files");
            } finally {
                for (UnixSocketChannel ch : held) {
                    ch.close();
                }
            }
            // Descriptors free again: the backlog drains and logins are served as before.
            PamHarness.Result login = pam.run("nofile-login", alice.name());
            assertThat(login.getInt("open_rc")).as(login.output()).isZero();
            assertThat(login.getInt("close_rc")).as(login.output()).isZero();
            long lines = d.log().lines().filter(l -> l.contains("accept failed")).count();
            // each accepting thread: once at the first failure, then at most once a second
            assertThat(lines).as(d.log()).isBetween(1L, 4L * 4);
            assertThat(d.stop()).isZero();
        }
    }

    @Test
    void connectionsHeldByManyUidsNeverLockRootOut() throws Exception {
        try (DaemonProcess d = DaemonProcess.start(dir.resolve("hold"), """
                [limits]
                max_connections = 16
                max_connections_per_uid = 4
                idle_timeout_ms = 1000
                """)) {
            pam.service("hold-login", "session required MODULE socket=" + d.socket() + " on_error=fail force revoke");
            TestUsers.User alice = users.create();
            List<Process> holders = new ArrayList<>();
            int open = 0;
            int busy = 0;
            try {
                for (int i = 0; i < 5; i++) { // 5 uids x 4 = 20 wanted, more than the 16 there are
                    TestUsers.User u = users.create();
                    Process p = new ProcessBuilder(HostileIT.command(d.socket(), u, "hold", "4"))
                            .redirectErrorStream(true).start();
                    holders.add(p);
                    BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream()));
                    String line = in.readLine();
                    assertThat(line).as("holder %d", i).startsWith("holding ");
                    open += Integer.parseInt(line.replaceAll(".*open=(\\d+).*", "$1"));
                    busy += Integer.parseInt(line.replaceAll(".*busy=(\\d+).*", "$1"));
                }
                assertThat(open).as("non-root peers get max_connections less root's reserve of 2").isEqualTo(14);
                assertThat(busy).isEqualTo(6);
                // Every non-root slot is held and kept busy with PINGs; root still gets in.
                PamHarness.Result login = pam.run("hold-login", alice.name());
                assertThat(login.getInt("open_rc")).as(login.output()).isZero();
                assertThat(login.getInt("close_rc")).as(login.output()).isZero();
                Commands.Result status = Ctl.run(d.socket(), "status", "--json");
                assertThat(status.exit()).as(status.output()).isZero();
            } finally {
                for (Process p : holders) {
                    p.getOutputStream().close();
                    p.waitFor();
                }
            }
        }
    }
}
