package org.keyinitd.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Real login programs on Debian's own /etc/pam.d files: sshd, su -, su, sudo -i, sudo and login
 * on a pty, run in a
 * private mount namespace over a copy of /etc/pam.d (the host's files never change). Two set-ups:
 * the package's profile line added to common-session, where pam-auth-update puts it (sshd, login
 * and su-l run pam_keyinit first: its keyring is taken over), and the module replacing
 * pam_keyinit's line by hand. Each login must end up on a daemon keyring of the user's, audited,
 * and revoked at logout.
 */
class StockStackIT {
    private static final Pattern SERIAL = Pattern.compile("serial=(\\d+)");

    @TempDir
    static Path dir;
    static TestUsers users;
    static TestUsers.User user;
    static DaemonProcess daemon;
    static Path profile;
    static Path byHand;

    @BeforeAll
    static void start() throws Exception {
        Root.require();
        users = new TestUsers();
        user = users.create("/bin/sh");
        daemon = DaemonProcess.start(dir.resolve("daemon"), """
                [[rule]]
                name = "short-sudo"
                match = { service = "sudo-i" }
                max_lifetime = "2s"
                """);
        String module = PamHarness.plainModule() + " socket=" + daemon.socket();
        // 1. the profile: what `pam-auth-update --enable keyinitd` adds (packaging/src/deb/pam-config)
        profile = copyOfEtcPamD("profile");
        for (String common : List.of("common-session", "common-session-noninteractive")) {
            Files.writeString(profile.resolve(common), "session\toptional\t" + module + " revoke\n",
                    java.nio.file.StandardOpenOption.APPEND);
        }
        // 2. by hand: pam_keyinit's line replaced with the module's, same arguments
        byHand = copyOfEtcPamD("by-hand");
        for (String service : List.of("su-l", "login", "sshd")) {
            Path f = byHand.resolve(service);
            Files.writeString(f, Files.readString(f).replaceAll("(?m)^(session\\s+optional\\s+)pam_keyinit\\.so",
                    "$1" + java.util.regex.Matcher.quoteReplacement(module)));
        }
        for (String service : List.of("su", "sudo", "sudo-i")) { // no pam_keyinit: the line goes last
            Path f = byHand.resolve(service);
            Files.writeString(f, Files.readString(f) + "session optional " + module + " force revoke\n");
        }
    }

    /** sshd on 127.0.0.1 and a free port, key authentication, UsePAM: its own config, keys and pid file. */
    private static String sshd(Path pamd) throws Exception {
        Path d = Files.createDirectories(dir.resolve("ssh-" + pamd.getFileName()));
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        Commands.check(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", d.resolve("hostkey").toString()));
        Commands.check(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", d.resolve("userkey").toString()));
        Files.copy(d.resolve("userkey.pub"), d.resolve(user.name() + ".keys"));
        TestDirs.openToAll(d);
        Files.writeString(d.resolve("sshd_config"), String.join("\n",
                "Port " + port, "ListenAddress 127.0.0.1", "HostKey " + d.resolve("hostkey"),
                "PidFile " + d.resolve("sshd.pid"), "UsePAM yes", "KbdInteractiveAuthentication no",
                "PasswordAuthentication no", "PubkeyAuthentication yes",
                "AuthorizedKeysFile " + d + "/%u.keys", "StrictModes no",
                "Subsystem sftp internal-sftp", "")); // scp speaks SFTP too
        Files.createDirectories(Path.of("/run/sshd")); // its privilege-separation directory
        // sshd returns once it listens (it daemonizes after binding); the script stops it at the end
        Path pid = d.resolve("sshd.pid");
        return "/usr/sbin/sshd -f " + d.resolve("sshd_config") + " -E " + d.resolve("sshd.log")
                // it writes its pid file once it listens: wait for that (at most 10 s)
                + " && i=0 && while [ ! -s " + pid + " ] && [ $i -lt 200 ]; do i=$((i+1)); sleep 0.05; done"
                + " && trap 'kill $(cat " + pid + ")' EXIT && SSH='ssh -i " + d.resolve("userkey") + " -p " + port
                + " -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR'"
                + " && SCP='scp -i " + d.resolve("userkey") + " -P " + port
                + " -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR'"
                + " && SFTP='sftp -i " + d.resolve("userkey") + " -P " + port
                + " -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR'"
                + " && CTL=" + d.resolve("control") + " && U=" + user.name() + "@127.0.0.1";
    }

    private static List<JsonNode> sshdOpens() throws Exception {
        return daemon.audit().stream().filter(n -> n.path("event").asText().equals("session.open")
                && n.path("service").asText().equals("sshd")).toList();
    }

    @ParameterizedTest(name = "ssh, scp, sftp and ControlMaster with {0}")
    @CsvSource({"profile, taken-over", "by-hand, "})
    void realSshdLoginsGetDaemonKeyrings(String setup, String expectedOutcome) throws Exception {
        Path pamd = setup.equals("profile") ? profile : byHand;
        int before = sshdOpens().size();
        String inside = "echo serial=$(keyctl id @s); keyctl rdescribe @s";
        Path upload = dir.resolve("upload-" + setup);
        Files.writeString(upload, "x");
        TestDirs.openToAll(upload);
        Commands.Result r = inNamespace(pamd, sshd(pamd)
                + " && $SSH $U '" + inside + "'"
                + " && $SCP " + upload + " $U:/dev/null"
                + " && echo 'ls /' | $SFTP -b - $U >/dev/null"
                // one master connection, two commands through it: one PAM session
                + " && $SSH -o ControlMaster=yes -o ControlPath=$CTL -fN $U"
                + " && $SSH -o ControlPath=$CTL $U true && $SSH -o ControlPath=$CTL $U true"
                + " && { $SSH -o ControlPath=$CTL -O exit $U 2>/dev/null || true; }");
        assertThat(r.exit()).as(r.output()).isZero();
        Matcher m = SERIAL.matcher(r.output());
        assertThat(m.find()).as("ssh printed its keyring:\n" + r.output()).isTrue();
        int serial = Integer.parseInt(m.group(1));
        assertThat(r.output()).contains("keyring;" + user.uid() + ";").containsPattern(";keyinitd\\.[0-9a-f]{32}");
        JsonNode open = daemon.awaitAudit(n -> n.path("event").asText().equals("session.open")
                && n.path("keyring").asInt() == serial, 10);
        assertThat(open.path("service").asText()).isEqualTo("sshd");
        assertThat(open.path("tty").asText()).as("sshd opens the session before the pty").isEqualTo("ssh");
        if (expectedOutcome != null) {
            assertThat(open.path("outcome").asText()).isEqualTo(expectedOutcome);
        }
        // ssh, scp, sftp and the ControlMaster connection: four sessions, each a daemon keyring, each revoked
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
        List<JsonNode> opens = sshdOpens().subList(before, sshdOpens().size());
        while (opens.size() < 4 && System.nanoTime() < deadline) {
            Thread.sleep(50); // polling the audit file for lines still on their way, with a deadline
            List<JsonNode> all = sshdOpens();
            opens = all.subList(before, all.size());
        }
        assertThat(opens).as("one session per connection, the multiplexed commands share the master's:\n"
                + r.output()).hasSize(4).allSatisfy(n -> assertThat(n.path("keyring").asInt()).isPositive());
        for (JsonNode o : opens) {
            int k = o.path("keyring").asInt();
            daemon.awaitAudit(n -> n.path("event").asText().equals("session.close") && n.path("keyring").asInt() == k
                    && n.path("outcome").asText().equals("revoked"), 20);
        }
    }

    @ParameterizedTest(name = "max_lifetime on a real sudo -i with {0}")
    @CsvSource({"profile", "by-hand"})
    void maxLifetimeKillsTheKeysOfARealLoginThatStaysOpen(String setup) throws Exception {
        // the session stays open past its 2 s; inside it, the key must die (polled for at most 10 s)
        // a script file: sudo -i re-quotes a command line for the login shell
        Path script = dir.resolve("lifetime-" + setup + ".sh");
        Files.writeString(script, "echo serial=$(keyctl id @s)\nkeyctl add user kit-lt v @s >/dev/null\n"
                + "i=0\nwhile keyctl print %user:kit-lt >/dev/null 2>&1; do\n  i=$((i+1))\n"
                + "  [ $i -gt 100 ] && exit 1\n  sleep 0.1\ndone\nkeyctl rdescribe @s || true\n");
        TestDirs.openToAll(dir);
        Commands.Result r = inNamespace(setup.equals("profile") ? profile : byHand,
                "sudo -i -u " + user.name() + " sh " + script);
        assertThat(r.exit()).as("the key died within the open session:\n" + r.output()).isZero();
        assertThat(r.output()).contains("Key has been revoked");
        Matcher m = SERIAL.matcher(r.output());
        assertThat(m.find()).as(r.output()).isTrue();
        int serial = Integer.parseInt(m.group(1));
        assertThat(daemon.awaitAudit(n -> n.path("event").asText().equals("session.revoke")
                && n.path("keyring").asInt() == serial, 10).path("outcome").asText()).isEqualTo("expired");
    }

    @AfterAll
    static void stop() throws Exception {
        // an sshd left behind by a failed test: it daemonized, out of the test's process tree
        Commands.run(List.of("pkill", "-f", "sshd -f " + dir + "/ssh-"));
        Fixtures.closeAll(daemon, users);
    }

    private static Path copyOfEtcPamD(String name) throws Exception {
        Path copy = dir.resolve(name);
        Commands.check(List.of("cp", "-a", "/etc/pam.d", copy.toString()));
        return copy;
    }

    /** Runs a shell script in a private mount namespace with {@code pamd} over /etc/pam.d. */
    private static Commands.Result inNamespace(Path pamd, String script) throws Exception {
        return Commands.run(List.of("unshare", "-m", "--propagation", "private", "sh", "-c",
                "mount --bind " + pamd + " /etc/pam.d && " + script));
    }

    @ParameterizedTest(name = "{0} with {1}")
    @CsvSource({
        "su -,   profile, su-l,  taken-over",
        "su,     profile, su,    ",
        "sudo -i, profile, sudo-i, ",
        "sudo,   profile, sudo,  ",
        "login,  profile, login, taken-over",
        "su -,   by-hand, su-l,  ",
        "su,     by-hand, su,    ",
        "sudo -i, by-hand, sudo-i, ",
        "login,  by-hand, login, "})
    void aRealLoginOnDebiansStackGetsADaemonKeyringRevokedAtLogout(String program, String setup, String service,
                                                                   String expectedOutcome) throws Exception {
        String inside = "echo serial=$(keyctl id @s); keyctl rdescribe @s";
        String login = switch (program) {
            case "su -" -> "su - " + user.name() + " -c '" + inside + "'";
            case "su" -> "su " + user.name() + " -c '" + inside + "'";
            case "sudo -i" -> "sudo -i -u " + user.name() + " sh -c '" + inside + "'";
            case "sudo" -> "sudo -u " + user.name() + " sh -c '" + inside + "'";
            default -> "printf '%s\\nexit\\n' '" + inside + "' | script -q -e -c 'login -f " + user.name() + "' /dev/null";
        };
        Commands.Result r = inNamespace(setup.equals("profile") ? profile : byHand, login);
        assertThat(r.exit()).as(r.output()).isZero();
        Matcher m = SERIAL.matcher(r.output().replace("\r", ""));
        assertThat(m.find()).as("the login printed its keyring:\n" + r.output()).isTrue();
        int serial = Integer.parseInt(m.group(1));
        assertThat(r.output()).as("owned by the user, made by the daemon")
                .contains("keyring;" + user.uid() + ";").containsPattern(";keyinitd\\.[0-9a-f]{32}");

        JsonNode open = daemon.awaitAudit(n -> n.path("event").asText().equals("session.open")
                && n.path("keyring").asInt() == serial, 10);
        assertThat(open.path("service").asText()).isEqualTo(service);
        if (expectedOutcome != null) {
            assertThat(open.path("outcome").asText()).isEqualTo(expectedOutcome);
        } else {
            assertThat(open.path("outcome").asText()).isIn("created", "replaced-foreign");
        }
        daemon.awaitAudit(n -> n.path("event").asText().equals("session.close") && n.path("keyring").asInt() == serial
                && n.path("outcome").asText().equals("revoked"), 10);
    }
}
