package org.keyinitd.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A local unprivileged user throws malformed frames, a slow sender and a connection flood at the
 * daemon. Each gets an error or a closed connection; everyone else is still served; memory and
 * threads stay bounded.
 */
class HostileIT {
    @TempDir
    static Path dir;
    static TestUsers users;
    static TestUsers.User mallory;
    static TestUsers.User alice;
    static DaemonProcess daemon;
    static PamHarness pam;

    @BeforeAll
    static void start() throws Exception {
        Root.require();
        users = new TestUsers();
        mallory = users.create();
        alice = users.create();
        daemon = DaemonProcess.start(dir.resolve("daemon"), """
                [limits]
                request_timeout_ms = 1000
                max_connections_per_uid = 8
                """);
        pam = new PamHarness(dir.resolve("pam.d"));
        pam.service("login", "session required MODULE socket=" + daemon.socket() + " on_error=fail force revoke");
    }

    @AfterAll
    static void stop() throws Exception {
        Fixtures.closeAll(daemon, users);
    }

    @Test
    void malformedFramesGetAnErrorOrAClosedConnection() throws Exception {
        Map<String, String> r = hostile("bad-magic", "bad-version", "too-large", "truncated-body", "unknown-op",
                "field-too-long", "invalid-utf8", "not-a-session-id", "other-uid", "wrong-name");
        assertThat(r.get("bad-magic")).startsWith("status=2 ").contains("bad magic");
        assertThat(r.get("bad-version")).startsWith("status=3 ").contains("version 9");
        assertThat(r.get("too-large")).startsWith("status=8 ").contains("1000000");
        assertThat(r.get("truncated-body")).startsWith("closed");
        assertThat(r.get("unknown-op")).startsWith("status=4 ").contains("unknown op 99");
        assertThat(r.get("field-too-long")).startsWith("status=2 ").contains("USER").contains("limit 256");
        assertThat(r.get("invalid-utf8")).startsWith("status=2 ").contains("UTF-8");
        assertThat(r.get("not-a-session-id")).startsWith("status=2 ").contains("SESSION_ID: not a session id");
        assertThat(daemon.audit()).as("a made-up session id reaches no audit line")
                .noneMatch(n -> n.path("session").asText().contains("forged"));
        assertThat(r.get("other-uid")).startsWith("status=1 ").contains("may only open sessions for itself");
        assertThat(r.get("wrong-name")).startsWith("status=2 ").contains("user root has uid 0");
        assertThat(daemon.log()).contains("bad magic").contains("unsupported protocol version 9")
                .contains("hung up in the middle of a frame body");
        stillServing();
    }

    @Test
    void aByteAtATimeSenderIsCutOffAtTheRequestDeadline() throws Exception {
        Map<String, String> r = hostile("slowloris");
        assertThat(r.get("slowloris")).startsWith("closed");
        long ms = Long.parseLong(r.get("slowloris").replaceAll(".*ms=(\\d+).*", "$1"));
        assertThat(ms).as("cut off near request_timeout_ms = 1000, long before 12 bytes x 300 ms")
                .isBetween(900L, 3000L);
        stillServing();
    }

    @Test
    void aConnectionFloodIsCappedPerUidAndLoginsStillWork() throws Exception {
        long rssBefore = daemon.procStatus("VmRSS");
        ProcessBuilder pb = new ProcessBuilder(command("idle-flood")).redirectErrorStream(true);
        Process p = pb.start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            String line;
            while ((line = in.readLine()) != null) {
                lines.add(line);
                if (line.equals("flood-holding")) {
                    // While mallory holds her connections, a root login is served as usual.
                    PamHarness.Result login = pam.run("login", alice.name());
                    assertThat(login.getInt("open_rc")).as(login.output()).isZero();
                    assertThat(login.getInt("close_rc")).isZero();
                }
            }
        }
        p.waitFor();
        String flood = lines.stream().filter(l -> l.startsWith("case=idle-flood")).findFirst()
                .orElseThrow(() -> new AssertionError(String.join("\n", lines)));
        int open = Integer.parseInt(flood.replaceAll(".* open=(\\d+).*", "$1"));
        int busy = Integer.parseInt(flood.replaceAll(".* busy=(\\d+).*", "$1"));
        assertThat(open).as(flood).isLessThanOrEqualTo(8);
        assertThat(busy).as(flood).isGreaterThan(1500);
        assertThat(lines).contains("flood-done");
        assertThat(daemon.log()).contains("max_connections_per_uid");
        assertThat(daemon.procStatus("VmRSS") - rssBefore).as("RSS growth in kB").isLessThan(64 * 1024);
        stillServing();
    }

    @Test
    void aModuleRequestEndsItsConnectionSoNothingRidesOnIt() throws Exception {
        Map<String, String> r = hostile("close-then-ping");
        // The CLOSE is answered (NOT_FOUND: no such session); the PING behind it is never read.
        assertThat(r.get("close-then-ping")).isEqualTo("first=status=5 second=closed");
        stillServing();
    }

    @Test
    void silentConnectionsChurnedByThreeUidsDoNotMakeRootsLoginsMissTheirDeadline() throws Exception {
        // Three uids each keep 8 silent connections (their max_connections_per_uid) open, making
        // each anew when the daemon hangs up: an accepting thread gives a silent connection 2 ms
        // before the pool takes it, so root's logins find a free acceptor. (Acceptors that waited
        // for the first frame, even just for request_timeout_ms, would leave them queued behind
        // 24 x 1 s.) The module gives up after 500 ms here (a tenth of the default) and fails
        // the login (on_error=fail): all 30 must get through in time.
        pam.service("churn-login", "session required MODULE socket=" + daemon.socket()
                + " timeout=500 on_error=fail force revoke");
        List<Process> churners = new ArrayList<>();
        try {
            for (TestUsers.User u : List.of(mallory, users.create(), users.create())) {
                Process p = new ProcessBuilder(command(daemon.socket(), u, "silent-churn", "8"))
                        .redirectErrorStream(true).start();
                churners.add(p);
                BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream()));
                assertThat(in.readLine()).isEqualTo("churning");
            }
            PamHarness.Result logins = pam.run("churn-login", alice.name(), "--repeat", "30");
            assertThat(logins.getInt("ok")).as(logins.output()).isEqualTo(30);
        } finally {
            for (Process p : churners) {
                p.getOutputStream().close();
            }
        }
        for (Process p : churners) {
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            System.out.println("HostileIT silent-churn: " + out.strip());
            assertThat(out).as("the churn ran all through the logins").containsPattern("connections=([89]|[1-9][0-9]+)$");
        }
        stillServing();
    }

    /** The daemon answers root and serves a real login after whatever came before. */
    private static void stillServing() throws Exception {
        Commands.Result s = Ctl.run(daemon.socket(), "status", "--json");
        assertThat(s.exit()).as(s.output()).isZero();
        PamHarness.Result login = pam.run("login", alice.name());
        assertThat(login.getInt("open_rc")).as(login.output()).isZero();
        assertThat(login.state(login.getInt("ses"))).isEqualTo("revoked");
    }

    private static Map<String, String> hostile(String... cases) throws Exception {
        Commands.Result r = Commands.run(command(cases));
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : r.output().split("\n")) {
            if (line.startsWith("case=")) {
                int sp = line.indexOf(' ');
                out.put(line.substring(5, sp), line.substring(sp + 1));
            }
        }
        assertThat(out).as(r.output()).containsOnlyKeys(cases);
        return out;
    }

    private static List<String> command(String... cases) throws Exception {
        return command(daemon.socket(), mallory, cases);
    }

    /** HostileClient as {@code as}, against the daemon at {@code socket}. */
    static List<String> command(Path socket, TestUsers.User as, String... cases) throws Exception {
        Path tmp = Ctl.sharedTmp();
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid", Long.toString(as.uid()), "--regid",
                Long.toString(as.gid()), "--clear-groups",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + tmp, "-Djna.tmpdir=" + tmp, "-cp",
                DaemonProcess.jar().toAbsolutePath() + ":" + Path.of("target", "test-classes").toAbsolutePath(),
                HostileClient.class.getName(), socket.toString(), Long.toString(as.uid())));
        cmd.addAll(List.of(cases));
        return cmd;
    }
}
