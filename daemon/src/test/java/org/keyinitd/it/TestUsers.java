package org.keyinitd.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Real local users for one test class, removed again afterwards (with any process they left).
 *
 * <p>Their uids come from a range of their own, far above the machine's users, and are never
 * reused within a run: the kernel charges keys to a uid, not to a name, and frees revoked keys
 * some time later, so a uid that an earlier test's user had would start with that user's keys
 * (/proc/key-users). A uid the kernel still counts keys for (from an earlier run) is skipped.
 */
final class TestUsers implements AutoCloseable {
    record User(String name, long uid, long gid) {
    }

    /** The test users' uid range: above what useradd hands out, below the 2^31 some tools assume. */
    static final long FIRST_UID = 3_000_000;
    static final long UID_RANGE = 900_000;
    private static final SecureRandom RANDOM = new SecureRandom();
    /** A random start per run (JVM), so that runs one after the other use other uids too. */
    private static final AtomicLong NEXT_UID = new AtomicLong(FIRST_UID + RANDOM.nextInt((int) UID_RANGE - 100_000));

    private final List<User> created = new ArrayList<>();

    User create() throws IOException, InterruptedException {
        return create("/usr/sbin/nologin");
    }

    /** A user with this login shell (su -c, login need a real one). */
    User create(String shell) throws IOException, InterruptedException {
        byte[] suffix = new byte[3];
        RANDOM.nextBytes(suffix);
        String name = "kit" + HexFormat.of().formatHex(suffix);
        long uid = freshUid();
        Commands.check(List.of("useradd", "--no-create-home", "--no-log-init", "--uid", Long.toString(uid),
                "--shell", shell, "--comment", "keyinitd integration test", name));
        assertThat(Long.parseLong(Commands.check(List.of("id", "-u", name)).trim())).isEqualTo(uid);
        long gid = Long.parseLong(Commands.check(List.of("id", "-g", name)).trim());
        assertThat(keyUsers()).as("uid %d has no keys charged yet", uid).doesNotContain(uid);
        User u = new User(name, uid, gid);
        created.add(u);
        return u;
    }

    /** The next uid of the range that no account has and the kernel charges no keys to. */
    private static long freshUid() throws IOException, InterruptedException {
        Set<Long> charged = keyUsers();
        for (;;) {
            long uid = NEXT_UID.getAndIncrement();
            if (uid >= FIRST_UID + UID_RANGE) {
                throw new IllegalStateException("test uid range exhausted");
            }
            if (!charged.contains(uid) && Commands.run(List.of("getent", "passwd", Long.toString(uid))).exit() != 0) {
                return uid;
            }
        }
    }

    /** The uids that /proc/key-users lists (every uid the kernel charges keys to). */
    static Set<Long> keyUsers() throws IOException {
        Set<Long> uids = new HashSet<>();
        for (String line : Files.readAllLines(Path.of("/proc/key-users"))) {
            String f = line.trim().split("\\s+")[0];
            uids.add(Long.parseLong(f.substring(0, f.length() - 1)));
        }
        return uids;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        for (User u : created) {
            Commands.run(List.of("pkill", "-KILL", "-u", u.name()));
            Commands.run(List.of("userdel", u.name()));
        }
        created.clear();
    }
}
