package org.keyinitd.protocol;

import java.util.Optional;

/** An OPEN request: who is logging in, through what, and what the module's line asked for. */
public record OpenRequest(
        String service,
        String user,
        long uid,
        long gid,
        Optional<String> tty,
        Optional<String> rhost,
        Optional<String> ruser,
        ModuleFlags moduleFlags,
        boolean hasSessionKeyring) {

    public static OpenRequest from(Fields f) throws ProtocolException {
        String user = f.requireString(Field.USER);
        if (user.isEmpty()) {
            throw new ProtocolException(Status.BAD_REQUEST, "field USER is empty");
        }
        return new OpenRequest(
                f.requireString(Field.SERVICE),
                user,
                f.requireU32(Field.UID),
                f.requireU32(Field.GID),
                f.string(Field.TTY),
                f.string(Field.RHOST),
                f.string(Field.RUSER),
                ModuleFlags.fromBits(f.requireU32(Field.MODULE_FLAGS)),
                f.requireBool(Field.HAS_SESSION_KEYRING));
    }

    public Fields toFields() {
        Fields.Builder b = Fields.builder()
                .put(Field.SERVICE, service)
                .put(Field.USER, user)
                .putU32(Field.UID, uid)
                .putU32(Field.GID, gid)
                .putU32(Field.MODULE_FLAGS, moduleFlags.toBits())
                .put(Field.HAS_SESSION_KEYRING, hasSessionKeyring);
        tty.ifPresent(v -> b.put(Field.TTY, v));
        rhost.ifPresent(v -> b.put(Field.RHOST, v));
        ruser.ifPresent(v -> b.put(Field.RUSER, v));
        return b.build();
    }
}
