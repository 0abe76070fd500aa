package org.keyinitd.policy;

import java.util.Optional;
import org.keyinitd.protocol.ModuleFlags;

/** Everything policy may look at for one login. */
public record LoginContext(
        String service,
        String user,
        long uid,
        Optional<String> tty,
        Optional<String> rhost,
        boolean hasSessionKeyring,
        ModuleFlags moduleFlags) {
}
