package org.keyinitd.session;

import java.security.SecureRandom;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/** The daemon's sessions, open and closing, keyed by session id. Thread-safe. */
public final class SessionRegistry {
    private final ConcurrentMap<String, Session> sessions = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();

    /** A fresh session id: 128 random bits as 32 hex digits. */
    public String newId() {
        byte[] bytes = new byte[16];
        random.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    public void add(Session session) {
        if (sessions.putIfAbsent(session.id(), session) != null) {
            throw new IllegalStateException("duplicate session id " + session.id());
        }
    }

    public Optional<Session> get(String id) {
        return Optional.ofNullable(sessions.get(id));
    }

    /** Removes and returns the session, if it was still there (so two closes cannot both act). */
    public Optional<Session> remove(String id) {
        return Optional.ofNullable(sessions.remove(id));
    }

    /** Moves an open session to CLOSING; false if it was not open (closed meanwhile). */
    public boolean markClosing(String id) {
        Session s = sessions.get(id);
        return s != null && s.state() == Session.State.OPEN
                && sessions.replace(id, s, s.withState(Session.State.CLOSING));
    }

    public Collection<Session> all() {
        return List.copyOf(sessions.values());
    }

    public List<Session> inState(Session.State state) {
        return sessions.values().stream().filter(s -> s.state() == state).toList();
    }

    public long openSessionsOf(long uid) {
        return sessions.values().stream().filter(s -> s.uid() == uid && s.state() == Session.State.OPEN).count();
    }

    public int size() {
        return sessions.size();
    }
}
