package org.keyinitd.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a command to completion and returns its exit code and output (stdout and stderr together). */
final class Commands {
    private Commands() {
    }

    record Result(int exit, String output) {
    }

    static Result run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + command);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    static String check(List<String> command) throws IOException, InterruptedException {
        Result r = run(command);
        if (r.exit() != 0) {
            throw new IOException(command + " exited " + r.exit() + ": " + r.output());
        }
        return r.output();
    }
}
