package org.keyinitd.it;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** Real local users for one test class, removed again afterwards (with any process they left). */
final class TestUsers implements AutoCloseable {
    record User(String name, long uid, long gid) {
    }

    private final List<User> created = new ArrayList<>();
    private final SecureRandom random = new SecureRandom();

    User create() throws IOException, InterruptedException {
        byte[] suffix = new byte[3];
        random.nextBytes(suffix);
        String name = "kit" + HexFormat.of().formatHex(suffix);
        Commands.check(List.of("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", "--comment",
                "keyinitd integration test", name));
        long uid = Long.parseLong(Commands.check(List.of("id", "-u", name)).trim());
        long gid = Long.parseLong(Commands.check(List.of("id", "-g", name)).trim());
        User u = new User(name, uid, gid);
        created.add(u);
        return u;
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
