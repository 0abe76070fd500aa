package org.keyinitd.session;

import java.time.Instant;
import java.util.Optional;

/** One live login whose keyring the daemon made. */
public record Session(
        String id,
        String user,
        long uid,
        String service,
        Optional<String> tty,
        Optional<String> rhost,
        Optional<String> ruser,
        int pid,
        String keyringName,
        int keyringSerial,
        boolean revokeOnClose,
        String rule,
        Instant openedAt) {
}
