package org.keyinitd.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a command to completion and returns its exit code and output (stdout and stderr together). */
final class Commands {
    /** How long any one command may take before it counts as hung. */
    static final long TIMEOUT_SECONDS = 60;

    private Commands() {
    }

    record Result(int exit, String output) {
    }

    static Result run(List<String> command) throws IOException, InterruptedException {
        return run(command, Map.of(), TIMEOUT_SECONDS);
    }

    /**
     * Runs {@code command} with {@code env} added to this process's environment. The output is read
     * on a thread of its own, so a child that hangs (with or without printing) is killed after
     * {@code timeoutSeconds} and the call fails saying so, with what it printed until then.
     */
    static Result run(List<String> command, Map<String, String> env, long timeoutSeconds)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> copy(p.getInputStream(), out), "output of " + command.get(0));
        reader.setDaemon(true);
        reader.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            // the whole tree: a hung child of the command would keep the output open
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            reader.join(2000);
            throw new IOException("timed out after " + timeoutSeconds + " s, killed: " + command
                    + "\noutput so far:\n" + text(out));
        }
        // The command is done; something it started in the background may still hold its
        // output open (a detached child): do not wait for that longer than a moment.
        reader.join(TimeUnit.SECONDS.toMillis(timeoutSeconds));
        return new Result(p.exitValue(), text(out));
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        byte[] buf = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(buf)) > 0) {
                synchronized (out) {
                    out.write(buf, 0, n);
                }
            }
        } catch (IOException ignored) {
            // the process is gone
        }
    }

    private static String text(ByteArrayOutputStream out) {
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    static String check(List<String> command) throws IOException, InterruptedException {
        Result r = run(command);
        if (r.exit() != 0) {
            throw new IOException(command + " exited " + r.exit() + ": " + r.output());
        }
        return r.output();
    }
}
