package org.keyinitd.session;

import org.keyinitd.linux.LoginIds;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's sessions, open and closing, keyed by session id; thread-safe. Every change is
 * written through to the {@link SessionStore} so that a restarted daemon knows them again. A
 * failed write is logged and does not fail the login: the session then works until the daemon
 * restarts, and the log says which one would be lost.
 */
public final class SessionRegistry {
    private static final Logger log = LoggerFactory.getLogger(SessionRegistry.class);

    private final ConcurrentMap<String, Session> sessions = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();
    private final SessionStore store;

    public SessionRegistry(SessionStore store) {
        this.store = store;
    }

    /** A fresh session id: 128 random bits as 32 hex digits. */
    public String newId() {
        byte[] bytes = new byte[16];
        random.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /**
     * Registers a session. One made at OPEN (its process is alive, waiting for the reply) gets
     * the process's audit ids here, so that every later line about it carries them.
     */
    public void add(Session given) {
        Session session = given.login().known() ? given
                : given.withLogin(LoginIds.of(given.pid(), given.pidStartTime()));
        if (sessions.putIfAbsent(session.id(), session) != null) {
            throw new IllegalStateException("duplicate session id " + session.id());
        }
        persist(session);
    }

    /** Registers a session whose login ids were read already (known or not): none are read again. */
    public void addAsIs(Session session) {
        if (sessions.putIfAbsent(session.id(), session) != null) {
            throw new IllegalStateException("duplicate session id " + session.id());
        }
        persist(session);
    }

    /** Puts back a session read from the store at start (already stored: not written again). */
    public void restore(Session session) {
        sessions.putIfAbsent(session.id(), session);
    }

    public Optional<Session> get(String id) {
        return Optional.ofNullable(sessions.get(id));
    }

    /** Removes and returns the session, if it was still there (so two closers cannot both act). */
    public Optional<Session> remove(String id) {
        Session s = sessions.remove(id);
        if (s != null) {
            try {
                store.delete(id);
            } catch (IOException e) {
                log.error("cannot remove state of session {}: {}", id, e.getMessage());
            }
        }
        return Optional.ofNullable(s);
    }

    /** Moves an open session to CLOSING; false if it was not open (closed meanwhile). */
    public boolean markClosing(String id) {
        return move(id, Session.State.OPEN, Session.State.CLOSING);
    }

    /** Moves an open session to REVOKED (an admin revoked its keyring); false if it was not open. */
    public boolean markRevoked(String id) {
        return move(id, Session.State.OPEN, Session.State.REVOKED);
    }

    private boolean move(String id, Session.State from, Session.State to) {
        Session s = sessions.get(id);
        if (s == null || s.state() != from) {
            return false;
        }
        Session moved = s.withState(to);
        if (!sessions.replace(id, s, moved)) {
            return false;
        }
        persist(moved);
        return true;
    }

    private void persist(Session s) {
        try {
            store.save(s);
        } catch (IOException e) {
            log.error("cannot save state of session {} ({}): {}; it will not survive a daemon restart", s.id(),
                    s.user(), e.getMessage());
        }
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
