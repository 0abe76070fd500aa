package org.keyinitd.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.keyinitd.policy.CloseAction;
import org.keyinitd.policy.RevokeMode;

class FileSessionStoreTest {
    @TempDir
    Path dir;

    private static Session session(String id, RevokeMode revoke) {
        return new Session(id, "alice", 1001, "sshd", Optional.of("pts/1"), Optional.empty(), Optional.of("bob"),
                4242, 987654321L, "keyinitd." + "ab".repeat(16), 123456789, revoke, CloseAction.INVALIDATE, false,
                "staff-ssh", Instant.parse("2026-11-23T08:00:00.123Z"), Session.State.OPEN);
    }

    @Test
    void whatIsSavedIsLoadedBackUnchanged() throws Exception {
        FileSessionStore store = new FileSessionStore(dir);
        Session a = session("0123456789abcdef0123456789abcdef", RevokeMode.WHEN_UNUSED);
        Session b = session("fedcba9876543210fedcba9876543210", RevokeMode.ALWAYS).withState(Session.State.CLOSING);
        store.save(a);
        store.save(b);
        assertThat(new FileSessionStore(dir).loadAll((f, r) -> { })).containsExactlyInAnyOrder(a, b);
        store.delete(a.id());
        assertThat(store.loadAll((f, r) -> { })).containsExactly(b);
        assertThat(Files.list(dir.resolve("sessions")).map(p -> p.getFileName().toString()))
                .as("no temporary files left behind").containsExactly(b.id() + ".json");
    }

    @Test
    void corruptAndTruncatedFilesAreReportedAndSetAsideTheRestLoads() throws Exception {
        FileSessionStore store = new FileSessionStore(dir);
        Session good = session("0123456789abcdef0123456789abcdef", RevokeMode.ALWAYS);
        store.save(good);
        Path sessions = dir.resolve("sessions");
        Files.writeString(sessions.resolve("11111111111111111111111111111111.json"), "{ not json");
        String full = Files.readString(sessions.resolve(good.id() + ".json"));
        Files.writeString(sessions.resolve("22222222222222222222222222222222.json"), full.substring(0, full.length() / 2));
        Files.writeString(sessions.resolve("33333333333333333333333333333333.json"),
                full.replace("\"pid\"", "\"pidx\""));

        List<String> reported = new ArrayList<>();
        List<Session> loaded = store.loadAll((file, reason) -> reported.add(file + ": " + reason));
        assertThat(loaded).containsExactly(good);
        assertThat(reported).hasSize(3);
        assertThat(Files.exists(sessions.resolve("11111111111111111111111111111111.json.corrupt"))).isTrue();
        assertThat(store.loadAll((f, r) -> reported.add(f))).as("set aside: not reported again").containsExactly(good);
        assertThat(reported).hasSize(3);
    }

    @Test
    void aFileWhoseNameDoesNotMatchItsIdIsRejected() throws Exception {
        FileSessionStore store = new FileSessionStore(dir);
        Session good = session("0123456789abcdef0123456789abcdef", RevokeMode.ALWAYS);
        store.save(good);
        Path sessions = dir.resolve("sessions");
        Files.move(sessions.resolve(good.id() + ".json"), sessions.resolve("44444444444444444444444444444444.json"));
        List<String> reported = new ArrayList<>();
        assertThat(store.loadAll((f, r) -> reported.add(r))).isEmpty();
        assertThat(reported).singleElement().asString().contains("does not match");
    }
}
