package org.keyinitd.session;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.keyinitd.fs.TrustedPaths;
import org.keyinitd.linux.LoginIds;
import org.keyinitd.policy.CloseAction;
import org.keyinitd.policy.RevokeMode;
import org.keyinitd.protocol.SessionId;

/**
 * One small JSON file per session in {@code state_dir/sessions/}, like logind's
 * /run/systemd/sessions. Each write goes to a temporary file that is renamed over the real one,
 * so a crash of the daemon leaves the old file or the new one, never half of one: the rename
 * is atomic, and what was written before it is in the page cache, which outlives the daemon.
 * Nothing is fsync'd: only a crash of the machine loses the page cache, and that ends every
 * session with it (their keyrings and processes die with the kernel), so after a reboot there
 * is nothing to recover; the packaged state_dir is on tmpfs anyway. Compact JSON, one line.
 * Unreadable files are renamed to {@code *.corrupt} and reported.
 */
public final class FileSessionStore implements SessionStore {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES);
    private static final com.fasterxml.jackson.databind.ObjectWriter WRITER = JSON.writerFor(Stored.class);

    private final Path dir;

    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");

    /**
     * Uses {@code stateDir/sessions}, created 0700 if missing. Both must be root's alone
     * ({@link TrustedPaths}): a user who could write there could forge a session and have the
     * daemon revoke someone else's keyring.
     */
    public FileSessionStore(Path stateDir) throws IOException {
        TrustedPaths.requireTrustedDirectory(stateDir, "state_dir");
        this.dir = TrustedPaths.prepareDirectory(stateDir.resolve("sessions"), "rwx------", "state_dir/sessions");
    }

    /** The file's shape: plain values only, so the format is stable and readable. */
    record Stored(
            @JsonProperty(value = "id", required = true) String id,
            @JsonProperty(value = "user", required = true) String user,
            @JsonProperty(value = "uid", required = true) long uid,
            @JsonProperty(value = "service", required = true) String service,
            @JsonProperty("tty") String tty,
            @JsonProperty("rhost") String rhost,
            @JsonProperty("ruser") String ruser,
            @JsonProperty(value = "pid", required = true) int pid,
            @JsonProperty(value = "pid_start_time", required = true) long pidStartTime,
            @JsonProperty(value = "keyring_name", required = true) String keyringName,
            @JsonProperty(value = "keyring", required = true) int keyring,
            @JsonProperty(value = "revoke", required = true) String revoke,
            @JsonProperty(value = "close_action", required = true) String closeAction,
            @JsonProperty(value = "revoke_on_exit", required = true) boolean revokeOnExit,
            @JsonProperty(value = "rule", required = true) String rule,
            @JsonProperty(value = "opened_at", required = true) String openedAt,
            @JsonProperty(value = "state", required = true) String state,
            @JsonProperty("auid") Long auid,
            @JsonProperty("ses") Long ses) {

        static Stored of(Session s) {
            return new Stored(s.id(), s.user(), s.uid(), s.service(), s.tty().orElse(null), s.rhost().orElse(null),
                    s.ruser().orElse(null), s.pid(), s.pidStartTime(), s.keyringName(), s.keyringSerial(),
                    s.revoke().configName(), s.closeAction().configName(), s.revokeOnExit(), s.rule(),
                    s.openedAt().toString(), s.state().name(), s.login().auid(), s.login().ses());
        }

        Session toSession() {
            if (!SessionId.isValid(id)) {
                throw new IllegalArgumentException("bad session id '" + id + "'");
            }
            return new Session(id, user, uid, service, Optional.ofNullable(tty), Optional.ofNullable(rhost),
                    Optional.ofNullable(ruser), pid, pidStartTime, keyringName, keyring,
                    RevokeMode.fromConfigName(revoke),
                    CloseAction.fromConfig(closeAction), revokeOnExit, rule, Instant.parse(openedAt),
                    Session.State.valueOf(state), new LoginIds(auid == null ? LoginIds.UNSET : auid,
                    ses == null ? LoginIds.UNSET : ses));
        }
    }

    @Override
    public void save(Session session) throws IOException {
        byte[] bytes = WRITER.writeValueAsBytes(Stored.of(session));
        Path target = file(session.id());
        Path tmp = dir.resolve("." + session.id() + ".tmp");
        // O_CREAT|O_EXCL|O_NOFOLLOW, 0600 (created so: the umask can only take bits away).
        try (FileChannel ch = openTemp(tmp)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static final java.nio.file.attribute.FileAttribute<Set<PosixFilePermission>> MODE_0600 =
            PosixFilePermissions.asFileAttribute(FILE_MODE);

    private static FileChannel openTemp(Path tmp) throws IOException {
        try {
            return createTemp(tmp);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            Files.deleteIfExists(tmp); // a leftover of a crash; a symlink is removed, not followed
            return createTemp(tmp);
        }
    }

    private static FileChannel createTemp(Path tmp) throws IOException {
        return FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS), MODE_0600);
    }

    @Override
    public void delete(String id) throws IOException {
        Files.deleteIfExists(file(id));
    }

    @Override
    public List<Session> loadAll(CorruptEntryListener corrupt) throws IOException {
        List<Session> out = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
            for (Path f : files) {
                try {
                    TrustedPaths.requireRootFile(f, "state file");
                    Session s = JSON.readValue(Files.readAllBytes(f), Stored.class).toSession();
                    if (!f.getFileName().toString().equals(s.id() + ".json")) {
                        throw new IllegalArgumentException("file name does not match session id " + s.id());
                    }
                    out.add(s);
                } catch (IOException | RuntimeException e) {
                    corrupt.corrupt(f.toString(), firstLine(e.getMessage()));
                    Files.move(f, f.resolveSibling(f.getFileName() + ".corrupt"), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        return out;
    }

    private Path file(String id) {
        if (!SessionId.isValid(id)) {
            throw new IllegalArgumentException("bad session id '" + id + "'");
        }
        return dir.resolve(id + ".json");
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
