package org.keyinitd.server;

import org.keyinitd.protocol.Reply;
import org.keyinitd.protocol.Request;

/** Turns one well-framed request into one reply. Must not throw: every failure is a reply. */
@FunctionalInterface
public interface RequestHandler {
    Reply handle(PeerCredentials peer, Request request);

    /**
     * The reply could not be sent (the peer hung up, or stopped reading): whatever the request
     * made, nobody will use, so undo it. Must not throw.
     */
    default void undelivered(PeerCredentials peer, Request request, Reply reply, String why) {
    }
}
