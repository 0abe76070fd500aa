package org.keyinitd.config;

import java.nio.file.Path;

/** Where a value was written: a file (the main one or a drop-in) and a 1-based line (0: unknown). */
public record Origin(Path file, int line) {
    @Override
    public String toString() {
        return line > 0 ? file + ":" + line : file.toString();
    }
}
