package org.keyinitd.protocol;

import java.util.Optional;

/** A CLOSE request: the session to end, optionally the serial the module joined, and ABORT. */
public record CloseRequest(String sessionId, Optional<Integer> joinedSerial, boolean abort) {

    public static CloseRequest from(Fields f) throws ProtocolException {
        return new CloseRequest(
                SessionId.require(Field.SESSION_ID, f.requireString(Field.SESSION_ID)),
                f.i32(Field.KEYRING_SERIAL),
                f.bool(Field.ABORT).orElse(false));
    }

    public Fields toFields() {
        Fields.Builder b = Fields.builder().put(Field.SESSION_ID, sessionId).put(Field.ABORT, abort);
        joinedSerial.ifPresent(s -> b.putI32(Field.KEYRING_SERIAL, s));
        return b.build();
    }
}
