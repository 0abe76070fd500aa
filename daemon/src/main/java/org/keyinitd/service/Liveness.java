package org.keyinitd.service;

import org.keyinitd.session.Session;

/** Watches the process of each open session, so that its death is noticed (see OrphanHandler). */
public interface Liveness {
    /** Starts watching the session's process; false when it is already gone. */
    boolean watch(Session session);

    void unwatch(String sessionId);

    /**
     * Pins the process {@code pid} now, before anything about it is read, so that
     * {@link #watchPinned} need not look at /proc again. A handle; -1 when it is gone already.
     */
    default long pin(long pid) {
        return 0;
    }

    /** Watches the session's process pinned by {@link #pin}; false when it is already gone. */
    default boolean watchPinned(Session session, long handle) {
        return handle >= 0 && watch(session);
    }

    /** Lets go of a pin that will not be watched. */
    default void unpin(long handle) {
    }

    /** Watches nothing: for tests of the request flow. */
    Liveness NONE = new Liveness() {
        @Override
        public boolean watch(Session session) {
            return true;
        }

        @Override
        public void unwatch(String sessionId) {
        }
    };
}
