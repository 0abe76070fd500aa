package org.keyinitd.service;

import java.util.Optional;
import org.keyinitd.server.PeerCredentials;

/**
 * Who may ask for what: root peers may act for any uid; any other peer only for its own
 * (docs/protocol.md, "Who may ask"). Returns the reason for a denial, or empty when allowed.
 */
public final class Authorizer {
    private Authorizer() {
    }

    public static Optional<String> checkOpen(PeerCredentials peer, long requestedUid) {
        if (peer.isRoot() || peer.uid() == requestedUid) {
            return Optional.empty();
        }
        return Optional.of("peer uid " + peer.uid() + " may only open sessions for itself, not for uid " + requestedUid);
    }

    public static Optional<String> checkClose(PeerCredentials peer, long sessionUid) {
        if (peer.isRoot() || peer.uid() == sessionUid) {
            return Optional.empty();
        }
        return Optional.of("peer uid " + peer.uid() + " may not close a session of uid " + sessionUid);
    }
}
