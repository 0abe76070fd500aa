package org.keyinitd.admin;

import java.util.List;
import java.util.Optional;

/** Re-reads the configuration: rejected with the reason, or applied (with its warnings, if any). */
@FunctionalInterface
public interface Reloader {
    /** {@code rejected} empty: the new configuration is in force; {@code warnings}: rules that never match. */
    record Result(Optional<String> rejected, List<String> warnings) {
        public static Result rejected(String reason) {
            return new Result(Optional.of(reason), List.of());
        }

        public static Result applied(List<String> warnings) {
            return new Result(Optional.empty(), List.copyOf(warnings));
        }
    }

    Result reload();
}
