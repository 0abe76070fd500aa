package org.keyinitd.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Drives the real libpam through pam-shim/test/pam_harness (pam_start_confdir), loading the real
 * pam_keyinitd.so from a PAM config directory written for the test.
 */
final class PamHarness {
    static final int PAM_SUCCESS = 0;
    static final int PAM_SESSION_ERR = 14;

    private final Path confdir;

    PamHarness(Path confdir) throws IOException {
        this.confdir = confdir;
        Files.createDirectories(confdir);
        TestDirs.openToAll(confdir);
    }

    Path confdir() {
        return confdir;
    }

    static Path module() {
        return Path.of(System.getProperty("keyinitd.pamModule", "../pam-shim/pam_keyinitd.so")).toAbsolutePath();
    }

    /**
     * The module as shipped, for real login programs (su, login): the sanitized build needs the
     * ASan runtime loaded first, which only the sanitized harness has.
     */
    static Path plainModule() {
        return Path.of(System.getProperty("keyinitd.plainPamModule", "../pam-shim/pam_keyinitd.so")).toAbsolutePath();
    }

    static Path binary() {
        return Path.of(System.getProperty("keyinitd.pamHarness", "../pam-shim/test/pam_harness")).toAbsolutePath();
    }

    /**
     * For a sanitized pair (mvn -Psanitize: pam_harness-asan loading asan/pam_keyinitd.so): any
     * report ends the harness at once, leaks included. Set for every harness; without the
     * sanitizers they mean nothing.
     */
    static final Map<String, String> SANITIZER_ENV = Map.of(
            "ASAN_OPTIONS", "halt_on_error=1:abort_on_error=1:detect_leaks=1",
            "UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1");

    private static final List<String> SANITIZER_REPORTS = List.of("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
            "runtime error:", "SUMMARY: UndefinedBehaviorSanitizer", "SUMMARY: AddressSanitizer");

    /** Fails the test if the harness's output carries a sanitizer report (mvn -Psanitize). */
    static String checkSanitizers(String output) {
        for (String marker : SANITIZER_REPORTS) {
            if (output.contains(marker)) {
                throw new AssertionError("sanitizer report (" + marker + ") from " + binary() + " with " + module()
                        + ":\n" + output);
            }
        }
        return output;
    }

    /** Writes a PAM service file; each line is a full "session ..." line, MODULE stands for our .so. */
    void service(String name, String... lines) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String line : lines) {
            sb.append(line.replace("MODULE", module().toString())).append('\n');
        }
        Files.writeString(confdir.resolve(name), sb.toString());
    }

    /** Runs the harness for {@code service} as {@code user}; extra are further harness options. */
    Result run(String service, String user, String... extra) throws IOException, InterruptedException {
        return run(null, service, user, extra);
    }

    /** The same, logging to {@code syslog}'s capture instead of the machine's syslog. */
    Result run(SyslogCapture syslog, String service, String user, String... extra)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(binary().toString(), "--confdir", confdir.toString(),
                "--service", service, "--user", user));
        cmd.addAll(Arrays.asList(extra));
        Commands.Result r = Commands.run(syslog == null ? cmd : syslog.wrap(cmd), SANITIZER_ENV,
                Commands.TIMEOUT_SECONDS);
        return new Result(r.exit(), checkSanitizers(r.output()));
    }

    /**
     * Starts the harness with --wait-stdin and returns once its sessions are open: the test then
     * decides their end ({@link Live#finish()}) or kills the process ({@link Live#kill()}).
     */
    Live start(String service, String user, String... extra) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(binary().toString(), "--confdir", confdir.toString(),
                "--service", service, "--user", user, "--wait-stdin"));
        cmd.addAll(Arrays.asList(extra));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(SANITIZER_ENV);
        Process p = pb.start();
        Live live = new Live(p);
        live.awaitLine("waiting=1");
        return live;
    }

    /** A harness process holding its sessions open. */
    static final class Live {
        private final Process process;
        private final StringBuffer output = new StringBuffer();
        private final Thread reader;

        Live(Process process) {
            this.process = process;
            this.reader = new Thread(() -> {
                try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(process.getInputStream()))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        output.append(line).append('\n');
                    }
                } catch (IOException ignored) {
                    // the process is gone
                }
            });
            reader.setDaemon(true);
            reader.start();
        }

        long pid() {
            return process.pid();
        }

        Result soFar() {
            return new Result(-1, output.toString());
        }

        void awaitLine(String line) throws IOException, InterruptedException {
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!output.toString().contains(line + "\n")) {
                if (!process.isAlive() && !reader.isAlive()) {
                    checkSanitizers(output.toString());
                    throw new IOException("pam_harness exited before printing " + line + ":\n" + output);
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("pam_harness did not print " + line + " within 30 s:\n" + output);
                }
                Thread.sleep(10);
            }
        }

        /** Lets the harness close its sessions and finish. */
        Result finish() throws IOException, InterruptedException {
            process.getOutputStream().write('\n');
            process.getOutputStream().close();
            if (!process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("pam_harness did not finish:\n" + output);
            }
            reader.join(5000);
            return new Result(process.exitValue(), checkSanitizers(output.toString()));
        }

        /** SIGKILL: the login process dies without closing its sessions. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor();
        }
    }

    /** The harness's key=value lines; repeated keys keep every value in order. */
    record Result(int exit, String output) {
        List<String> all(String key) {
            List<String> values = new ArrayList<>();
            for (String line : output.split("\n")) {
                int eq = line.indexOf('=');
                if (eq > 0 && line.substring(0, eq).equals(key)) {
                    values.add(line.substring(eq + 1));
                }
            }
            return values;
        }

        String get(String key) {
            List<String> v = all(key);
            if (v.isEmpty()) {
                throw new AssertionError("harness printed no " + key + "=; output was:\n" + output);
            }
            return v.get(0);
        }

        int getInt(String key) {
            return Integer.parseInt(get(key).trim());
        }

        double getDouble(String key) {
            return Double.parseDouble(get(key).trim());
        }

        /** state.SERIAL lines: the keyring's state after the closes. */
        Map<String, String> states() {
            Map<String, String> m = new LinkedHashMap<>();
            for (String line : output.split("\n")) {
                if (line.startsWith("state.")) {
                    int eq = line.indexOf('=');
                    m.put(line.substring(6, eq), line.substring(eq + 1));
                }
            }
            return m;
        }

        String state(int serial) {
            String s = states().get(Integer.toString(serial));
            if (s == null) {
                throw new AssertionError("no state for keyring " + serial + " in:\n" + output);
            }
            return s;
        }
    }
}
