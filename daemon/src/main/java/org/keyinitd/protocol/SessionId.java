package org.keyinitd.protocol;

import java.util.regex.Pattern;

/**
 * A session's id as the daemon makes it (128 random bits, 32 lowercase hex digits) and as it
 * comes back in a CLOSE, names a state file and appears in the audit. Written once here, so a
 * peer's CLOSE cannot carry anything else into the audit or into a file name.
 */
public final class SessionId {
    private static final Pattern FORM = Pattern.compile("[0-9a-f]{32}");

    private SessionId() {
    }

    public static boolean isValid(String id) {
        return FORM.matcher(id).matches();
    }

    /** The id, or BAD_REQUEST naming the field when it is not one the daemon could have made. */
    static String require(Field field, String id) throws ProtocolException {
        if (!isValid(id)) {
            throw new ProtocolException(Status.BAD_REQUEST, field + ": not a session id (32 hex digits)");
        }
        return id;
    }
}
