package org.keyinitd.service;

import org.keyinitd.session.Session;

/** Watches the process of each open session, so that its death is noticed (see OrphanHandler). */
public interface Liveness {
    /** Starts watching the session's process; false when it is already gone. */
    boolean watch(Session session);

    void unwatch(String sessionId);

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
