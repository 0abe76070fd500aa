package org.keyinitd.fs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The directories whose contents the daemon trusts ({@code state_dir}, the audit log's directory)
 * must be safe from every other user: the directory itself owned by root and writable by nobody
 * else, and each directory above it owned by root and writable by nobody else unless sticky (as
 * /tmp is: in a sticky directory no other user can rename or remove root's entries). Then only
 * root can create, replace or symlink anything in them, so a file checked there with lstat is the
 * file that gets opened. The daemon refuses to start otherwise (docs/security.md, "Files").
 */
public final class TrustedPaths {
    private static final int S_IWGRP_IWOTH = 0022;
    private static final int S_ISVTX = 01000;
    private static final int S_IFMT = 0170000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFREG = 0100000;

    private TrustedPaths() {
    }

    /** A directory made (or found) here is refused: the message says which and why. */
    public static final class UntrustedPathException extends IOException {
        public UntrustedPathException(String message) {
            super(message);
        }
    }

    /**
     * Creates {@code dir} with exactly {@code mode} if it is missing (its missing parents 0755),
     * whatever the umask, then checks it and its ancestors as described above.
     */
    public static Path prepareDirectory(Path dir, String mode, String what) throws IOException {
        Path abs = dir.toAbsolutePath().normalize();
        if (!Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
            Path parent = abs.getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                Files.createDirectories(parent, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwxr-xr-x")));
            }
            Set<PosixFilePermission> perms = PosixFilePermissions.fromString(mode);
            Files.createDirectory(abs, PosixFilePermissions.asFileAttribute(perms));
            Files.setPosixFilePermissions(abs, perms); // the umask may have taken bits away
        }
        requireTrustedDirectory(abs, what);
        return abs;
    }

    /** Throws unless {@code dir} and every directory above it are safe from other users. */
    public static void requireTrustedDirectory(Path dir, String what) throws IOException {
        Path abs = dir.toAbsolutePath().normalize();
        int mode = mode(abs);
        if ((mode & S_IFMT) != S_IFDIR) {
            throw new UntrustedPathException(what + " " + abs + " is not a directory (a symlink or another file); "
                    + "it must be a real directory owned by root");
        }
        check(abs, what, mode, false);
        for (Path p = abs.getParent(); p != null; p = p.getParent()) {
            check(p, what + " " + abs + ": parent directory", mode(p), true);
        }
    }

    /** Throws unless {@code file}, if it exists, is a regular file (not a symlink) owned by root. */
    public static void requireRootFile(Path file, String what) throws IOException {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        int mode = mode(file);
        if ((mode & S_IFMT) != S_IFREG) {
            throw new UntrustedPathException(what + " " + file + " is not a regular file (a symlink or another kind "
                    + "of file); refusing to open it");
        }
        if (owner(file) != 0) {
            throw new UntrustedPathException(what + " " + file + " is owned by uid " + owner(file) + ", not root");
        }
    }

    private static void check(Path p, String what, int mode, boolean stickyAllowed) throws IOException {
        int uid = owner(p);
        if (uid != 0) {
            throw new UntrustedPathException(what + " " + p + " is owned by uid " + uid
                    + "; it must be owned by root");
        }
        boolean sticky = (mode & S_ISVTX) != 0;
        if ((mode & S_IWGRP_IWOTH) != 0 && !(stickyAllowed && sticky)) {
            throw new UntrustedPathException(what + " " + p + " is writable by group or others (mode "
                    + String.format("%04o", mode & 07777) + "); it must be writable by root only");
        }
    }

    private static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    }

    private static int owner(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    }
}
