package org.keyinitd.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** JUnit's temporary directories are 0700; the test users' processes must be able to walk them. */
final class TestDirs {
    private TestDirs() {
    }

    /** Makes {@code dir} and each parent up to the filesystem root traversable (0755 where it was 0700). */
    static void openToAll(Path dir) throws IOException {
        for (Path p = dir.toAbsolutePath(); p != null && p.getNameCount() > 0; p = p.getParent()) {
            if (p.startsWith(Path.of(System.getProperty("java.io.tmpdir"))) && Files.isDirectory(p)) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        }
    }
}
