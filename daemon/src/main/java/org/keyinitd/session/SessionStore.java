package org.keyinitd.session;

import java.io.IOException;
import java.util.List;

/** Where sessions are kept so that a restarted daemon knows them again. */
public interface SessionStore {
    void save(Session session) throws IOException;

    void delete(String id) throws IOException;

    /** Every stored session; unreadable entries are reported to {@code corrupt} and set aside. */
    List<Session> loadAll(CorruptEntryListener corrupt) throws IOException;

    /** Told about each stored entry that could not be read. */
    @FunctionalInterface
    interface CorruptEntryListener {
        void corrupt(String entry, String reason);
    }

    /** Keeps nothing: for tests of the request flow. */
    SessionStore NONE = new SessionStore() {
        @Override
        public void save(Session session) {
        }

        @Override
        public void delete(String id) {
        }

        @Override
        public List<Session> loadAll(CorruptEntryListener corrupt) {
            return List.of();
        }
    };
}
