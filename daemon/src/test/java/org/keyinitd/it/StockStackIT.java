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
 * Real login programs on Debian's own /etc/pam.d files: sshd, su -, su, sudo -i, sudo, login on a
 * pty, runuser, runuser -l and jobs of a real cron daemon, run in a private mount namespace over a
 * copy of /etc/pam.d (the host's files never change). Three set-ups:
 * <ul>
 * <li>{@code profile}: the package's profile line added to common-session and
 * common-session-noninteractive, where pam-auth-update puts it, and libpam-modules' own
 * pam_keyinit (sshd, login and su-l run it first: its keyring is taken over);
 * <li>{@code package}: what the installed package gives, the profile plus the diversion of
 * pam_keyinit.so, emulated by mounting the module over pam_keyinit.so inside the namespace (and the
 * daemon's socket at the default path, since a pam_keyinit line names none): every stock
 * pam_keyinit line is the module's, runuser and runuser-l included, and the profile's line nests
 * in the keyring it made;
 * <li>{@code by-hand}: the module replacing pam_keyinit's line by hand.
 * </ul>
 * Each login must end up on a daemon keyring of the user's, in one daemon session, audited, and
 * revoked at logout.
 */
class StockStackIT {
    private static final Pattern SERIAL = Pattern.compile("serial=(\\d+)");
    /** Where libpam-modules ships pam_keyinit.so on Debian 12, and the package diverts it. */
    private static final String PAM_KEYINIT = "/lib/x86_64-linux-gnu/security/pam_keyinit.so";
    /** The module's default socket: what a pam_keyinit line, which names none, connects to. */
    private static final String DEFAULT_SOCKET = "/run/keyinitd/keyinitd.sock";
    /** Cron daemons started by a test, stopped at the latest in {@link #stop()}. */
    private static final List<Process> crons = new java.util.concurrent.CopyOnWriteArrayList<>();

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
        for (String service : List.of("su-l", "login", "sshd", "runuser", "runuser-l")) {
            Path f = byHand.resolve(service);
            Files.writeString(f, Files.readString(f).replaceAll("(?m)^(session\\s+optional\\s+)pam_keyinit\\.so",
                    "$1" + java.util.regex.Matcher.quoteReplacement(module)));
        }
        for (String service : List.of("su", "sudo", "sudo-i", "cron")) { // no pam_keyinit: the line goes last
            Path f = byHand.resolve(service);
            Files.writeString(f, Files.readString(f) + "session optional " + module + " force revoke\n");
        }
    }

    /** sshd on 127.0.0.1 and a free port, key authentication, UsePAM: its own config, keys and pid file. */
    private static String sshd(String setup) throws Exception {
        Path d = Files.createDirectories(dir.resolve("ssh-" + setup));
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
    @CsvSource({"profile, taken-over", "package, ", "by-hand, "})
    void realSshdLoginsGetDaemonKeyrings(String setup, String expectedOutcome) throws Exception {
        int before = sshdOpens().size();
        String inside = "echo serial=$(keyctl id @s); keyctl rdescribe @s";
        Path upload = dir.resolve("upload-" + setup);
        Files.writeString(upload, "x");
        TestDirs.openToAll(upload);
        Commands.Result r = inNamespace(setup, sshd(setup)
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
        } else {
            assertThat(open.path("outcome").asText()).isIn("created", "replaced-foreign");
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
        Commands.Result r = inNamespace(setup, "sudo -i -u " + user.name() + " sh " + script);
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
        for (Process cron : crons) {
            stopCron(cron);
        }
        // an sshd left behind by a failed test: it daemonized, out of the test's process tree
        Commands.run(List.of("pkill", "-f", "sshd -f " + dir + "/ssh-"));
        Fixtures.closeAll(daemon, users);
    }

    private static Path copyOfEtcPamD(String name) throws Exception {
        Path copy = dir.resolve(name);
        Commands.check(List.of("cp", "-a", "/etc/pam.d", copy.toString()));
        return copy;
    }

    /** Runs a shell script in a private mount namespace set up as {@code setup} says. */
    private static Commands.Result inNamespace(String setup, String script) throws Exception {
        return Commands.run(List.of("unshare", "-m", "--propagation", "private", "sh", "-c",
                mounts(setup) + " && " + script));
    }

    /**
     * The mounts of a set-up, in a private mount namespace only: the copy of /etc/pam.d over
     * /etc/pam.d; for {@code package}, also the module over pam_keyinit.so (what the package's
     * diversion does on a real host) and a private /run holding the test daemon's socket at the
     * module's default path; {@code privateRun} gives the other set-ups a private /run too.
     */
    private static String mounts(String setup, boolean privateRun) {
        Path pamd = setup.equals("by-hand") ? byHand : profile;
        String m = "mount --bind " + pamd + " /etc/pam.d";
        boolean diverted = setup.equals("package");
        if (diverted || privateRun) {
            // /run/sshd: sshd's privilege-separation directory
            m += " && mount -t tmpfs -o mode=0755 keyinitd-it-run /run && mkdir -p /run/sshd /run/keyinitd";
        }
        if (diverted) {
            m += " && touch " + DEFAULT_SOCKET + " && mount --bind " + daemon.socket() + " " + DEFAULT_SOCKET
                    + " && mount --bind " + PamHarness.plainModule() + " " + PAM_KEYINIT;
        }
        return m;
    }

    private static String mounts(String setup) {
        return mounts(setup, false);
    }

    private static List<JsonNode> opens(String service) throws Exception {
        return daemon.audit().stream().filter(n -> n.path("event").asText().equals("session.open")
                && n.path("service").asText().equals(service)).toList();
    }

    /**
     * One login, one daemon session: after the login's close was audited, exactly one
     * session.open for its service since {@code before}, for its keyring (a second module line in
     * the same stack nests in the first one's keyring without asking the daemon again).
     */
    private static void assertOneSession(String service, int before, int serial) throws Exception {
        List<JsonNode> all = opens(service);
        assertThat(all.subList(before, all.size())).as("session.open lines of this %s login", service)
                .singleElement().satisfies(n -> assertThat(n.path("keyring").asInt()).isEqualTo(serial));
    }

    @ParameterizedTest(name = "{0} with {1}")
    @CsvSource({
        "su -,   profile, su-l,  taken-over",
        "su,     profile, su,    ",
        "sudo -i, profile, sudo-i, ",
        "sudo,   profile, sudo,  ",
        "login,  profile, login, taken-over",
        "su -,   package, su-l,  ",
        "su,     package, su,    ",
        "sudo -i, package, sudo-i, ",
        "login,  package, login, ",
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
        int before = opens(service).size();
        Commands.Result r = inNamespace(setup, login);
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
        assertOneSession(service, before, serial);
    }

    /**
     * runuser and runuser -l: Debian's files run pam_keyinit ({@code revoke}; runuser-l {@code force
     * revoke}, then runuser's again through its include) and include no common-session, so only the
     * diversion ({@code package}) or a line by hand reaches them. The login prints its keyring into
     * a fifo and stays until keyinitctl, run meanwhile, has listed the live sessions.
     */
    @ParameterizedTest(name = "{0} with {1}")
    @CsvSource({
        "runuser,    package, runuser",
        "runuser -l, package, runuser-l",
        "runuser,    by-hand, runuser",
        "runuser -l, by-hand, runuser-l"})
    void runuserGetsADaemonKeyringListedWhileItLivesRevokedAtLogout(String program, String setup, String service)
            throws Exception {
        Path fifos = Files.createDirectories(dir.resolve("fifos-" + service + "-" + setup));
        TestDirs.openToAll(fifos);
        Path ready = fifos.resolve("ready");
        Path go = fifos.resolve("go");
        String ctl = Path.of(System.getProperty("java.home"), "bin", "java") + " -Djava.io.tmpdir=" + Ctl.sharedTmp()
                + " -jar " + DaemonProcess.jar().toAbsolutePath() + " ctl --socket " + daemon.socket()
                + " sessions --user " + user.name();
        int before = opens(service).size();
        Commands.Result r = inNamespace(setup, "mkfifo -m 0666 " + ready + " " + go
                + " && { " + program + " " + user.name() + " -c '{ echo serial=$(keyctl id @s); keyctl rdescribe @s; } >"
                + ready + "; read x <" + go + "' & }"
                + " && timeout 30 cat " + ready
                + " && echo '--- keyinitctl sessions' && " + ctl
                + " ; echo go >" + go + " && wait $!");
        assertThat(r.exit()).as(r.output()).isZero();
        Matcher m = SERIAL.matcher(r.output());
        assertThat(m.find()).as("the login printed its keyring:\n" + r.output()).isTrue();
        int serial = Integer.parseInt(m.group(1));
        assertThat(r.output()).as("owned by the user, made by the daemon")
                .contains("keyring;" + user.uid() + ";").containsPattern(";keyinitd\\.[0-9a-f]{32}");
        String listed = r.output().substring(r.output().indexOf("--- keyinitctl sessions"));
        assertThat(listed).as("keyinitctl sessions while the login lives")
                .containsPattern("(?m)\\b" + serial + "\\b").contains(service);

        JsonNode open = daemon.awaitAudit(n -> n.path("event").asText().equals("session.open")
                && n.path("keyring").asInt() == serial, 10);
        assertThat(open.path("service").asText()).isEqualTo(service);
        assertThat(open.path("outcome").asText()).isIn("created", "replaced-foreign");
        daemon.awaitAudit(n -> n.path("event").asText().equals("session.close") && n.path("keyring").asInt() == serial
                && n.path("outcome").asText().equals("revoked"), 10);
        assertOneSession(service, before, serial);
    }

    /**
     * The package installed but no daemon on the default socket (a diverted line names none):
     * runuser -l still logs in, on an in-process keyring as pam_keyinit would make (the fallback),
     * and the one syslog line about it carries PAM's name for the diverted line, pam_keyinit; the
     * second pam_keyinit line of runuser-l (runuser's, through its include) nests in that keyring.
     */
    @org.junit.jupiter.api.Test
    void aDivertedLineWithoutTheDaemonFallsBackAndLogsAsPamKeyinit() throws Exception {
        try (SyslogCapture syslog = new SyslogCapture(dir)) {
            // the package's mounts, then the daemon's socket taken away again
            Commands.Result r = Commands.run(syslog.wrap(List.of("unshare", "-m", "--propagation", "private", "sh", "-c",
                    mounts("package") + " && umount " + DEFAULT_SOCKET + " && rm " + DEFAULT_SOCKET
                            + " && runuser -l " + user.name() + " -c 'echo serial=$(keyctl id @s); keyctl rdescribe @s'")));
            assertThat(r.exit()).as(r.output()).isZero();
            assertThat(r.output()).as("an in-process keyring of the user's, as pam_keyinit makes")
                    .contains("keyring;" + user.uid() + ";").contains(";_ses");
            List<String> lines = syslog.matching("keyinitd unavailable");
            assertThat(lines).as("syslog: %s", syslog.all()).singleElement().asString()
                    .contains("pam_keyinit(runuser-l:session): keyinitd unavailable (socket " + DEFAULT_SOCKET + ": No such file or directory)")
                    .contains("fell back to in-process keyring");
        }
    }

    /**
     * A real cron daemon ({@code cron -f}) in the namespace, with a private /run (its pid file, and
     * no /run/crond.reboot, so the {@code @reboot} job runs at once), its own /etc/cron.d and an
     * empty /etc/crontab and crontab spool (nothing of the host's runs twice). An {@code @reboot}
     * job and a {@code * * * * *} one (at the next minute boundary, so up to 60 s) write the
     * keyring they ran in. Debian's /etc/pam.d/cron includes common-session-noninteractive, which
     * carries the profile's line ({@code package}); {@code by-hand} adds the line to cron's own
     * file. Both set-ups run at the same time, to wait for one minute boundary only.
     */
    @org.junit.jupiter.api.Test
    void realCronJobsRunInDaemonKeyringsRevokedWhenTheyEnd() throws Exception {
        List<String> setups = List.of("package", "by-hand");
        java.util.Map<String, Path> outs = new java.util.LinkedHashMap<>();
        List<Process> started = new java.util.ArrayList<>();
        int before = opens("cron").size();
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(75);
        // cron says why it skips a file or a job only in syslog (-L 15: starts and ends of jobs too)
        SyslogCapture syslog = new SyslogCapture(Files.createDirectories(dir.resolve("cron-syslog")));
        try {
            for (String setup : setups) {
                Path d = Files.createDirectories(dir.resolve("cron-" + setup));
                Path out = Files.createDirectories(d.resolve("out"));
                Path crond = Files.createDirectories(d.resolve("cron.d"));
                Path spool = Files.createDirectories(d.resolve("crontabs"));
                Files.writeString(d.resolve("crontab"), "");
                TestDirs.openToAll(out);
                Files.setPosixFilePermissions(out, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
                // cron's rules for a cron.d file: root's, 0644 (no group or other write), a name
                // without dots, a final newline; a % would be a newline: none here
                String job = "{ echo serial=$(keyctl id @s); keyctl rdescribe @s; } >" + out + "/JOB.tmp 2>&1; mv "
                        + out + "/JOB.tmp " + out + "/JOB\n";
                Path tab = crond.resolve("keyinitd-it");
                Files.writeString(tab, "SHELL=/bin/sh\nPATH=/usr/bin:/bin\n"
                        + "@reboot " + user.name() + " " + job.replace("JOB", "reboot")
                        + "* * * * * " + user.name() + " " + job.replace("JOB", "minute"));
                Files.setPosixFilePermissions(tab, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
                Process cron = new ProcessBuilder(syslog.wrap(List.of("unshare", "-m", "--propagation", "private",
                        "sh", "-c", mounts(setup, true)
                                + " && mount --bind " + crond + " /etc/cron.d"
                                + " && mount --bind " + d.resolve("crontab") + " /etc/crontab"
                                + " && mount --bind " + spool + " /var/spool/cron/crontabs"
                                + " && exec cron -f -L 15")))
                        .redirectErrorStream(true).redirectOutput(d.resolve("cron.log").toFile()).start();
                crons.add(cron);
                started.add(cron);
                outs.put(setup, out);
            }
            for (var e : outs.entrySet()) {
                for (String job : List.of("reboot", "minute")) {
                    Path f = e.getValue().resolve(job);
                    while (!Files.exists(f) && System.nanoTime() < deadline) {
                        Thread.sleep(100); // polling for the job's file, with a deadline
                    }
                    assertThat(f).as("the %s job ran with %s (cron's output: %s; syslog: %s)", job, e.getKey(),
                            Files.readString(e.getValue().resolveSibling("cron.log")), syslog.all()).exists();
                }
            }
        } finally {
            for (Process cron : started) {
                stopCron(cron);
            }
            syslog.close();
        }
        for (var e : outs.entrySet()) {
            for (String job : List.of("reboot", "minute")) {
                String text = Files.readString(e.getValue().resolve(job));
                Matcher m = SERIAL.matcher(text);
                assertThat(m.find()).as("%s job with %s printed its keyring: %s", job, e.getKey(), text).isTrue();
                int serial = Integer.parseInt(m.group(1));
                assertThat(text).as("%s job with %s: a daemon keyring of the user's", job, e.getKey())
                        .contains("keyring;" + user.uid() + ";").containsPattern(";keyinitd\\.[0-9a-f]{32}");
                JsonNode open = daemon.awaitAudit(n -> n.path("event").asText().equals("session.open")
                        && n.path("keyring").asInt() == serial, 10);
                assertThat(open.path("service").asText()).isEqualTo("cron");
                assertThat(open.path("tty").asText()).isEqualTo("cron");
                daemon.awaitAudit(n -> n.path("event").asText().equals("session.close")
                        && n.path("keyring").asInt() == serial && n.path("outcome").asText().equals("revoked"), 20);
            }
        }
        // one daemon session per job: no line of the stack opened a second one
        List<JsonNode> all = opens("cron");
        java.util.Map<Integer, Long> perKeyring = all.subList(before, all.size()).stream().collect(
                java.util.stream.Collectors.groupingBy(n -> n.path("keyring").asInt(), java.util.stream.Collectors.counting()));
        assertThat(perKeyring.values()).as("session.open lines per keyring").containsOnly(1L);
    }

    /** Stops a cron daemon this class started (SIGTERM, then SIGKILL), with whatever it still runs. */
    private static void stopCron(Process cron) throws InterruptedException {
        List<ProcessHandle> children = cron.descendants().toList();
        cron.destroy();
        if (!cron.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
            cron.destroyForcibly();
            cron.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        }
        children.forEach(ProcessHandle::destroyForcibly);
        crons.remove(cron);
    }
}
