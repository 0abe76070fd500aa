package org.keyinitd.protocol;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * An OPEN request: who is logging in, through what, what the module's line asked for, what
 * the process's session keyring was, and until when the module waits for the answer.
 *
 * @param deadlineNanos the module's deadline on CLOCK_MONOTONIC (nanoseconds); absent from older modules
 */
public record OpenRequest(
        String service,
        String user,
        long uid,
        long gid,
        Optional<String> tty,
        Optional<String> rhost,
        Optional<String> ruser,
        ModuleFlags moduleFlags,
        CallerKeyring callerKeyring,
        OptionalLong deadlineNanos) {

    public static OpenRequest from(Fields f) throws ProtocolException {
        String user = f.requireString(Field.USER);
        if (user.isEmpty()) {
            throw new ProtocolException(Status.BAD_REQUEST, "field USER is empty");
        }
        boolean has = f.requireBool(Field.HAS_SESSION_KEYRING);
        CallerKeyring caller = has ? CallerKeyring.OWN : CallerKeyring.NONE; // what an older module means
        Optional<Long> code = f.u32(Field.CALLER_KEYRING);
        if (code.isPresent()) {
            caller = CallerKeyring.ofCode(code.get()).orElseThrow(() -> new ProtocolException(Status.BAD_REQUEST,
                    "field CALLER_KEYRING has unknown value " + code.get()));
            if (has != (caller == CallerKeyring.OWN)) {
                throw new ProtocolException(Status.BAD_REQUEST, "fields HAS_SESSION_KEYRING (" + has
                        + ") and CALLER_KEYRING (" + caller.auditName() + ") disagree");
            }
        }
        Optional<Long> deadline = f.u64(Field.DEADLINE);
        return new OpenRequest(
                f.requireString(Field.SERVICE),
                user,
                f.requireU32(Field.UID),
                f.requireU32(Field.GID),
                f.string(Field.TTY),
                f.string(Field.RHOST),
                f.string(Field.RUSER),
                ModuleFlags.fromBits(f.requireU32(Field.MODULE_FLAGS)),
                caller,
                deadline.isPresent() ? OptionalLong.of(deadline.get()) : OptionalLong.empty());
    }

    /** The process keeps its own session keyring (policy's {@code has_session_keyring}). */
    public boolean hasSessionKeyring() {
        return callerKeyring == CallerKeyring.OWN;
    }

    public Fields toFields() {
        Fields.Builder b = Fields.builder()
                .put(Field.SERVICE, service)
                .put(Field.USER, user)
                .putU32(Field.UID, uid)
                .putU32(Field.GID, gid)
                .putU32(Field.MODULE_FLAGS, moduleFlags.toBits())
                .put(Field.HAS_SESSION_KEYRING, hasSessionKeyring())
                .putU32(Field.CALLER_KEYRING, callerKeyring.code());
        tty.ifPresent(v -> b.put(Field.TTY, v));
        rhost.ifPresent(v -> b.put(Field.RHOST, v));
        ruser.ifPresent(v -> b.put(Field.RUSER, v));
        deadlineNanos.ifPresent(v -> b.putU64(Field.DEADLINE, v));
        return b.build();
    }
}
