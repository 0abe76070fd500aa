package org.keyinitd.server;

import org.keyinitd.protocol.Reply;
import org.keyinitd.protocol.Request;

/** Turns one well-framed request into one reply. Must not throw: every failure is a reply. */
@FunctionalInterface
public interface RequestHandler {
    Reply handle(PeerCredentials peer, Request request);
}
