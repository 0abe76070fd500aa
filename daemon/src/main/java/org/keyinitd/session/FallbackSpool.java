package org.keyinitd.session;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.keyinitd.fs.TrustedPaths;
import org.keyinitd.protocol.FrameCodec;

/**
 * The directory where the module leaves a record of each login it served in-process because
 * the daemon could not be reached: {@code fallback/} next to the socket, root's alone (0700),
 * as the module checks before it writes and the daemon before it reads, because the daemon
 * believes what it finds there. The module writes {@code .NAME.tmp} and renames it to
 * {@code NAME}; files whose name starts with a dot are not finished and are left alone.
 */
public final class FallbackSpool {
    /** Largest record: one frame. */
    public static final int MAX_RECORD = FrameCodec.HEADER_SIZE + FrameCodec.DEFAULT_MAX_BODY;
    /** Records taken in one pass; the rest wait for the next. */
    public static final int MAX_PER_PASS = 1024;

    /** A finished record file and its bytes. */
    public record Entry(String name, byte[] content) {
    }

    private final Path dir;

    private FallbackSpool(Path dir) {
        this.dir = dir;
    }

    /** The spool of the daemon on {@code socket}: made 0700 if missing, refused unless root's alone. */
    public static FallbackSpool nextTo(Path socket) throws IOException {
        Path dir = socket.toAbsolutePath().getParent().resolve("fallback");
        return new FallbackSpool(TrustedPaths.prepareDirectory(dir, "rwx------", "fallback spool"));
    }

    public Path dir() {
        return dir;
    }

    /**
     * The finished records, up to {@link #MAX_PER_PASS}. One that is not a regular file or is
     * larger than a record is reported to {@code unreadable} (name, reason) and removed.
     */
    public List<Entry> read(BiConsumer<String, String> unreadable) throws IOException {
        List<Entry> out = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, f -> !f.getFileName().toString().startsWith("."))) {
            for (Path f : files) {
                if (out.size() == MAX_PER_PASS) {
                    break;
                }
                String name = f.getFileName().toString();
                if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                    unreadable.accept(name, "not a regular file");
                    remove(name);
                    continue;
                }
                try (InputStream in = Files.newInputStream(f, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                    byte[] content = in.readNBytes(MAX_RECORD + 1);
                    if (content.length > MAX_RECORD) {
                        unreadable.accept(name, "larger than " + MAX_RECORD + " bytes");
                        remove(name);
                    } else {
                        out.add(new Entry(name, content));
                    }
                } catch (NoSuchFileException gone) {
                    // taken by another pass meanwhile
                }
            }
        }
        return out;
    }

    public void remove(String name) throws IOException {
        Files.deleteIfExists(dir.resolve(name));
    }
}
