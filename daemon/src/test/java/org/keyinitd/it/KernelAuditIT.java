package org.keyinitd.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/audit.md, "Kernel audit": with a real auditd, a real PAM login's keyring shows up in the
 * kernel's audit log as CRYPTO_KEY_USER records carrying the user, the keyring serial, the rule,
 * the outcome and the login's own auid and ses, and the documented ausearch finds them beside
 * libpam's USER_START and USER_END for the same login.
 */
class KernelAuditIT {
    /** The login's audit uid: the harness sets it on itself before PAM runs (pam_loginuid's job on a host). */
    static final long AUID = 1234;

    @TempDir
    static Path dir;
    static TestUsers users;
    static PamHarness pam;
    static Process auditd;     // the auditd this test started, if it had to
    static String enabledBefore;

    @BeforeAll
    static void setUp() throws Exception {
        Root.require();
        users = new TestUsers();
        pam = new PamHarness(dir.resolve("pam.d"));
        assertThat(Path.of("/usr/sbin/auditd")).as("auditd is installed (scripts/deps.sh)").exists();
        enabledBefore = status("enabled"); // before auditd starts: it enables auditing itself
        if (auditdPid() == 0) {
            auditd = new ProcessBuilder("/usr/sbin/auditd", "-n").redirectErrorStream(true)
                    .redirectOutput(dir.resolve("auditd.out").toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (auditdPid() == 0) {
                assertThat(auditd.isAlive()).as("auditd -n runs: " + read(dir.resolve("auditd.out"))).isTrue();
                assertThat(System.nanoTime()).as("auditd registered with the kernel within 20 s").isLessThan(deadline);
                Thread.sleep(20);
            }
        }
        Commands.check(List.of("auditctl", "-e", "1"));
    }

    @AfterAll
    static void tearDown() throws Exception {
        try {
            if (enabledBefore != null) {
                Commands.run(List.of("auditctl", "-e", enabledBefore));
            }
            if (auditd != null) {
                auditd.destroy(); // SIGTERM: auditd deregisters from the kernel and exits
                if (!auditd.waitFor(20, TimeUnit.SECONDS)) {
                    auditd.destroyForcibly();
                }
            }
        } finally {
            Fixtures.closeAll(users);
        }
    }

    @Test
    void aLoginsKeyringIsInTheKernelAuditJoinedWithLibpamsRecords() throws Exception {
        try (DaemonProcess d = DaemonProcess.start(dir.resolve("d"), """
                [[rule]]
                name = "ka-rule"
                match = { service = "ka-login" }
                """)) {
            String line = "session required MODULE socket=" + d.socket() + " on_error=fail";
            pam.service("ka-login", line + " force revoke");
            pam.service("ka-keep", line + " revoke");
            TestUsers.User u = users.create();
            TestUsers.User other = users.create();

            // A login from a root shell (a foreign session keyring): taken over, then revoked at logout.
            Commands.Result r = login("ka-login", u.name(), "--session-state", "root", "--tty", "/dev/pts/9",
                    "--rhost", "127.0.0.1");
            assertThat(r.exit()).as(r.output()).isZero();
            JsonNode opened = d.awaitAudit(n -> n.path("event").asText().equals("session.open")
                    && n.path("user").asText().equals(u.name()) && n.path("outcome").asText().equals("replaced-foreign"),
                    10);
            String session = opened.get("session").asText();
            long keyring = opened.get("keyring").asLong();
            long ses = opened.get("ses").asLong();
            assertThat(opened.get("auid").asLong()).isEqualTo(AUID);
            assertThat(ses).isNotEqualTo(4294967295L);

            List<String> ours = await(l -> l.contains("type=CRYPTO_KEY_USER") && l.contains(" session=" + session + " "),
                    2, "CRYPTO_KEY_USER", "--session-state");
            String open = only(ours, "outcome=replaced-foreign");
            String close = only(ours, "outcome=revoked");
            for (String rec : List.of(open, close)) {
                assertThat(rec).contains(" acct=\"" + u.name() + "\" ", " id=" + u.uid() + " ",
                        " login-auid=" + AUID + " ", " login-ses=" + ses + " ", " keyring=" + keyring + " ",
                        " rule=\"ka-rule\" ", " service=\"ka-login\" ", "res=success'");
                // the kernel's header names the sender, the daemon, whose auid is unset
                assertThat(rec).contains(" auid=4294967295 ses=4294967295 msg='op=keyinitd:");
            }
            assertThat(open).contains("op=keyinitd:session.open ", "hostname=127.0.0.1 addr=127.0.0.1 ",
                    "terminal=/dev/pts/9 ");
            assertThat(close).contains("op=keyinitd:session.close ");

            // libpam's own records of the same login: the kernel's header carries the login's auid and ses
            String start = only(ausearch("--session", Long.toString(ses), "-m", "USER_START"), "USER_START");
            assertThat(start).contains(" auid=" + AUID + " ses=" + ses + " ", "acct=\"" + u.name() + "\"");

            // docs/audit.md's join: one ausearch for the three types, kept to this login's ses
            String join = Commands.check(List.of("sh", "-c", "ausearch --input-logs -m USER_START,USER_END,CRYPTO_KEY_USER "
                    + "-ts recent --raw | grep -E '[ -]ses=" + ses + "[ ]'"));
            List<String> joined = join.lines().toList();
            assertThat(joined).anyMatch(l -> l.startsWith("type=USER_START"))
                    .anyMatch(l -> l.startsWith("type=USER_END"))
                    .anyMatch(l -> l.contains("outcome=replaced-foreign") && l.contains(" keyring=" + keyring + " "))
                    .anyMatch(l -> l.contains("outcome=revoked") && l.contains(" keyring=" + keyring + " "))
                    .allMatch(l -> l.contains(" ses=" + ses + " ") || l.contains(" login-ses=" + ses + " "));

            // kept: a nested login that already has its own keyring and no force
            Commands.Result kept = login("ka-keep", u.name(), "--session-state", "own");
            assertThat(kept.exit()).as(kept.output()).isZero();
            JsonNode keptLine = d.awaitAudit(n -> n.path("outcome").asText().equals("kept-existing"), 10);
            String keptRec = only(await(l -> l.contains("outcome=kept-existing")
                    && l.contains(" login-ses=" + keptLine.get("ses").asLong() + " "), 1, "CRYPTO_KEY_USER",
                    "kept-existing"), "kept-existing");
            assertThat(keptRec).contains(" acct=\"" + u.name() + "\" ", " rule=\"defaults\" ", "res=success'");

            // denied: a user's process asking for another user's keyring
            Commands.Result denied = login("ka-login", u.name(), "--as-user", other.name());
            assertThat(denied.output()).contains("open_rc=" + PamHarness.PAM_SESSION_ERR);
            JsonNode deniedLine = d.awaitAudit(n -> n.path("outcome").asText().equals("denied"), 10);
            String deniedRec = only(await(l -> l.contains("outcome=denied")
                    && l.contains(" login-ses=" + deniedLine.get("ses").asLong() + " "), 1, "CRYPTO_KEY_USER",
                    "denied"), "denied");
            assertThat(deniedRec).contains("op=keyinitd:session.open ", " acct=\"" + u.name() + "\" ",
                    " login-auid=" + AUID + " ", "res=failed'");

            // an admin revoke
            PamHarness.Live held = pam.start("ka-login", u.name());
            JsonNode heldOpen = d.awaitAudit(n -> n.path("event").asText().equals("session.open")
                    && n.path("pid").asLong() == held.pid(), 10);
            Commands.Result revoke = Ctl.run(d.socket(), "revoke", "--session", heldOpen.get("session").asText(),
                    "--reason", "INC-4711");
            assertThat(revoke.exit()).as(revoke.output()).isZero();
            String adminRec = only(await(l -> l.contains("op=keyinitd:admin.revoke ")
                    && l.contains(" keyring=" + heldOpen.get("keyring").asLong() + " "), 1, "CRYPTO_KEY_USER",
                    "admin.revoke"), "admin.revoke");
            assertThat(adminRec).contains("outcome=revoked", " acct=\"" + u.name() + "\" ", " admin-auid=",
                    " reason=\"INC-4711\" ", "res=success'");
            held.finish();
        }
    }

    /** The harness with its own loginuid set first, as pam_loginuid would have done for a real login. */
    private static Commands.Result login(String service, String user, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", "echo " + AUID + " > /proc/self/loginuid && exec \"$@\"",
                "sh", PamHarness.binary().toString(), "--confdir", pam.confdir().toString(), "--service", service,
                "--user", user));
        cmd.addAll(List.of(extra));
        return Commands.run(cmd);
    }

    /** Polls ausearch -m TYPE until {@code count} raw records match, at most 15 s. */
    private static List<String> await(Predicate<String> match, int count, String type, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        List<String> found = List.of();
        while (System.nanoTime() < deadline) {
            found = ausearch("-m", type, "-ts", "recent").stream().filter(match).toList();
            if (found.size() >= count) {
                return found;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("ausearch -m " + type + " found " + found.size() + " of " + count + " records ("
                + what + ") within 15 s: " + found + "\nall: " + ausearch("-m", type, "-ts", "recent"));
    }

    private static List<String> ausearch(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ausearch", "--input-logs", "--raw"));
        cmd.addAll(List.of(args));
        return Commands.run(cmd).output().lines().filter(l -> l.startsWith("type=")).toList();
    }

    private static String only(List<String> records, String containing) {
        List<String> m = records.stream().filter(l -> l.contains(containing)).toList();
        assertThat(m).as("exactly one record with %s in %s", containing, records).hasSize(1);
        return m.get(0);
    }

    private static long auditdPid() throws Exception {
        return Long.parseLong(status("pid"));
    }

    private static String status(String key) throws Exception {
        Matcher m = Pattern.compile("(?m)^" + key + " (\\d+)").matcher(Commands.check(List.of("auditctl", "-s")));
        assertThat(m.find()).as("auditctl -s shows " + key).isTrue();
        return m.group(1);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
