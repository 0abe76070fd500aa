package org.keyinitd.audit;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.rolling.FixedWindowRollingPolicy;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy;
import ch.qos.logback.core.util.Duration;
import ch.qos.logback.core.util.FileSize;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import org.keyinitd.config.AuditSettings;
import org.keyinitd.fs.TrustedPaths;
import org.slf4j.LoggerFactory;

/**
 * The audit file: a Logback {@link RollingFileAppender} with a {@link FixedWindowRollingPolicy}
 * ({@code audit.log.1} newest .. {@code audit.log.N} oldest, N = {@code maxFiles}) and a
 * {@link SizeBasedTriggeringPolicy} at {@code maxSizeBytes}, pattern {@code %msg%n}.
 *
 * <p>File modes. Logback opens the log with {@code new FileOutputStream(file, true)}, which
 * creates a missing file with mode 0666 minus the process umask: under the usual umask 022 the
 * fresh {@code audit.log} after each rotation would be world-readable. Rotation itself only
 * renames ({@code audit.log} to {@code .1}, {@code .1} to {@code .2}, ...), which keeps the mode.
 * So {@link #openFile} (called by Logback at start and right after every rotation) first creates
 * the file itself with {@code open(O_CREAT|O_EXCL, 0640)} and then sets exactly 0640: the file is
 * never more open than 0640 at any instant (the umask can only remove bits), and a umask such as
 * 077 cannot leave it narrower than the documented 0640 either. Logback then just opens the
 * existing file for append. An existing file's mode is left as the admin set it. If Logback ever
 * has to rotate by copying instead of renaming (it does so only across file systems, which a
 * rotation inside one directory never is), {@link #rollover} narrows {@code .1} to at most 0640.
 */
final class AuditFileAppender extends RollingFileAppender<ILoggingEvent> {
    static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-r-----");
    static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwxr-x---");

    private final Path file;
    /** The (device, inode) of the file being written; null when unknown. */
    private volatile Object fileKey;

    private AuditFileAppender(Path file) {
        this.file = file;
    }

    /** A started appender for {@code settings.file()}; the parent is created 0750 if missing. */
    static AuditFileAppender open(LoggerContext ctx, AuditSettings settings) throws IOException {
        Path file = settings.file().toAbsolutePath();
        if (file.toString().indexOf('%') >= 0) {
            // The rotated names are a Logback file-name pattern (file + ".%i"), where % is syntax.
            throw new IOException("audit log path must not contain '%': " + file);
        }
        Path dir = file.getParent();
        TrustedPaths.prepareDirectory(dir, "rwxr-x---", "audit log directory");
        TrustedPaths.requireRootFile(file, "audit log");

        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(ctx);
        encoder.setPattern("%msg%n");
        encoder.start();

        AuditFileAppender appender = new AuditFileAppender(file);
        appender.setContext(ctx);
        appender.setName("audit-file");
        appender.setFile(file.toString());
        appender.setAppend(true);
        // Every line goes to the kernel as soon as the writer thread takes it from the queue.
        appender.setImmediateFlush(true);
        appender.setEncoder(encoder);

        FixedWindowRollingPolicy rolling = new FixedWindowRollingPolicy() {
            @Override
            protected int getMaxWindowSize() {
                return Integer.MAX_VALUE; // Logback caps the window at 20 files; max_files allows more
            }
        };
        rolling.setContext(ctx);
        rolling.setParent(appender);
        rolling.setFileNamePattern(file + ".%i");
        rolling.setMinIndex(1);
        rolling.setMaxIndex(settings.maxFiles());
        rolling.start();

        SizeBasedTriggeringPolicy<ILoggingEvent> trigger = new SizeBasedTriggeringPolicy<>();
        trigger.setContext(ctx);
        trigger.setMaxFileSize(new FileSize(settings.maxSizeBytes()));
        // By default Logback looks at the file size at most once a minute, so a burst could grow
        // the file far past the limit. The writer thread is the only caller: check every line
        // (one stat per line), so a file exceeds max size by at most one line.
        trigger.setCheckIncrement(Duration.buildByMilliseconds(0));
        trigger.start();

        appender.setRollingPolicy(rolling);
        appender.setTriggeringPolicy(trigger);
        appender.start();
        if (!appender.isStarted()) {
            throw new IOException("cannot open audit log " + file);
        }
        return appender;
    }

    /**
     * Creates the file 0640 if missing, refuses a symlink or anything not a regular root-owned file
     * (the directory is root's alone, so what lstat saw here is what gets opened), opens it for
     * append and remembers its inode, so that {@link #subAppend} notices an outside rotation.
     */
    @Override
    public void openFile(String fileName) throws IOException {
        Path path = Path.of(fileName);
        createWithMode(path);
        TrustedPaths.requireRootFile(path, "audit log");
        super.openFile(fileName);
        fileKey = fileKey(path);
    }

    /**
     * Before each line: if the name no longer leads to the file being written (logrotate moved it
     * away, with or without creating a new one), reopens by name, so lines never keep going to a
     * rotated file. One lstat per line, as the size check already costs.
     */
    @Override
    protected void subAppend(ILoggingEvent event) {
        Object now = fileKey(file);
        if (now == null || !now.equals(fileKey)) {
            reopen();
        }
        super.subAppend(event);
    }

    /** Closes the file and opens it again by name (creating it 0640 if missing). */
    void reopen() {
        streamWriteLock.lock();
        try {
            openFile(getFile());
        } catch (IOException e) {
            LoggerFactory.getLogger(AuditLog.class).error("cannot reopen audit log {}: {}", file, e.getMessage());
        } finally {
            streamWriteLock.unlock();
        }
    }

    /**
     * The file's (device, inode), from one lstat: the basic view's file key, which costs far less
     * per line than the "unix:ino" attribute (a map built from a parsed attribute name).
     */
    private static Object fileKey(Path p) {
        try {
            return Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    @Override
    public void rollover() {
        super.rollover();
        narrow(Path.of(file + ".1"));
    }

    private void createWithMode(Path path) throws IOException {
        try {
            Files.createFile(path, PosixFilePermissions.asFileAttribute(FILE_MODE));
        } catch (FileAlreadyExistsException e) {
            return;
        }
        Files.setPosixFilePermissions(path, FILE_MODE);
    }

    private void narrow(Path path) {
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(path);
            Set<PosixFilePermission> allowed = EnumSet.noneOf(PosixFilePermission.class);
            allowed.addAll(mode);
            allowed.retainAll(FILE_MODE);
            if (!allowed.equals(mode)) {
                Files.setPosixFilePermissions(path, allowed);
            }
        } catch (NoSuchFileException e) {
            // rotation failed (Logback warned); nothing to fix
        } catch (IOException e) {
            LoggerFactory.getLogger(AuditLog.class).error("cannot set the mode of rotated audit log {}: {}", path,
                    e.getMessage());
        }
    }
}
