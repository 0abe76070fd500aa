package org.keyinitd.admin;

import java.util.Optional;

/** Re-reads the configuration; returns why it was rejected, or empty when it took effect. */
@FunctionalInterface
public interface Reloader {
    Optional<String> reload();
}
