package org.keyinitd.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.security.auth.module.UnixSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrustedPathsTest {
    @TempDir
    Path tmp;

    @Test
    void aDirectoryOthersCanWriteIsRefusedAndANewOneGetsItsExactMode() throws Exception {
        Assumptions.assumeTrue(new UnixSystem().getUid() == 0, "needs root: the checks want root-owned directories");
        Path made = TrustedPaths.prepareDirectory(tmp.resolve("a/state"), "rwx------", "state_dir");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(made))).isEqualTo("rwx------");

        Path open = Files.createDirectory(tmp.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThatThrownBy(() -> TrustedPaths.prepareDirectory(open, "rwx------", "state_dir"))
                .hasMessageContaining("state_dir " + open).hasMessageContaining("writable by group or others");
        Path below = Files.createDirectory(open.resolve("state"));
        assertThatThrownBy(() -> TrustedPaths.requireTrustedDirectory(below, "state_dir"))
                .hasMessageContaining("parent directory " + open);
        Files.setAttribute(open, "unix:mode", 01777);
        TrustedPaths.requireTrustedDirectory(below, "state_dir"); // a sticky parent, like /tmp, is fine

        Path link = tmp.resolve("link");
        Files.createSymbolicLink(link, made);
        assertThatThrownBy(() -> TrustedPaths.requireTrustedDirectory(link, "state_dir"))
                .hasMessageContaining("not a directory");
        Path fileLink = made.resolve("audit.log");
        Files.createSymbolicLink(fileLink, tmp.resolve("victim"));
        assertThatThrownBy(() -> TrustedPaths.requireRootFile(fileLink, "audit log"))
                .hasMessageContaining("not a regular file");

        Path owned = Files.createDirectory(tmp.resolve("owned"));
        Files.setAttribute(owned, "unix:uid", 65534);
        assertThatThrownBy(() -> TrustedPaths.requireTrustedDirectory(owned, "audit log directory"))
                .hasMessageContaining("owned by uid 65534");
    }
}
