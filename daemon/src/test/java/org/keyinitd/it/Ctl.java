package org.keyinitd.it;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs keyinitctl (the jar's ctl mode), as root or as another user. */
final class Ctl {
    private Ctl() {
    }

    /** A 1777 directory for the JVM's native stubs: /tmp itself is not writable by users on every machine. */
    static Path sharedTmp() throws java.io.IOException {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"), "keyinitd-it-tmp");
        java.nio.file.Files.createDirectories(tmp);
        java.nio.file.Files.setPosixFilePermissions(tmp,
                java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        return tmp;
    }

    /** keyinitctl as root with {@code args} only (no --socket): it finds the daemon from its config. */
    static Commands.Result run(List<String> args) throws Exception {
        Path tmp = sharedTmp();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + tmp, "-Djna.tmpdir=" + tmp, "-jar",
                DaemonProcess.jar().toAbsolutePath().toString(), "ctl"));
        cmd.addAll(args);
        return Commands.run(cmd);
    }

    static Commands.Result run(Path socket, String... args) throws Exception {
        return runAs(null, socket, args);
    }

    static Commands.Result runAs(TestUsers.User user, Path socket, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        if (user != null) {
            cmd.addAll(List.of("setpriv", "--reuid", Long.toString(user.uid()), "--regid", Long.toString(user.gid()),
                    "--clear-groups"));
        }
        Path tmp = sharedTmp();
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + tmp, "-Djna.tmpdir=" + tmp, "-jar", DaemonProcess.jar().toAbsolutePath().toString(), "ctl",
                "--socket", socket.toString()));
        cmd.addAll(List.of(args));
        return Commands.run(cmd);
    }
}
