package org.keyinitd.keyring;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.keyinitd.linux.KernelException;

/**
 * Reads /proc/keys: "ID FLAGS USAGE TIMEOUT PERM UID GID TYPE DESCRIPTION", ID in hex. The
 * usage count is the number of references: one per link from a keyring and one per set of
 * process credentials that has the key as its session (or process, thread) keyring.
 */
final class ProcKeys {
    private static final Path PROC_KEYS = Path.of("/proc/keys");

    private ProcKeys() {
    }

    /**
     * The keys among {@code serials} that expire within {@code seconds} or have expired: timeout
     * column {@code expd}, or {@code Ns} with N at most {@code seconds} (the kernel writes seconds
     * below a minute, then minutes, hours, days, weeks).
     */
    static java.util.Set<Integer> expiringWithin(Collection<Integer> serials, int seconds) throws KernelException {
        Set<String> wanted = new HashSet<>();
        for (int s : serials) {
            wanted.add(String.format("%08x", s));
        }
        Set<Integer> out = new HashSet<>();
        try (var lines = Files.lines(PROC_KEYS)) {
            lines.forEach(line -> {
                String[] cols = line.trim().split("\\s+", 5);
                if (cols.length > 3 && wanted.contains(cols[0]) && (cols[3].equals("expd")
                        || cols[3].matches("\\d+s") && Long.parseLong(cols[3].substring(0, cols[3].length() - 1)) <= seconds)) {
                    out.add(Integer.parseUnsignedInt(cols[0], 16));
                }
            });
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new KernelException("read /proc/keys", KernelException.ENOENT, e.getMessage());
        }
        return out;
    }

    /** The /proc/keys columns of one key: flags, usage, timeout; or null when it is not listed. */
    static String[] line(int serial) throws KernelException {
        String id = String.format("%08x", serial);
        try (var lines = Files.lines(PROC_KEYS)) {
            return lines.map(l -> l.trim().split("\\s+", 5)).filter(c -> c.length > 3 && c[0].equals(id))
                    .findFirst().orElse(null);
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new KernelException("read /proc/keys", KernelException.ENOENT, e.getMessage());
        }
    }

    /** Usage counts of the live (not revoked, not dead) keys among {@code serials}. */
    static Map<Integer, Integer> usages(Collection<Integer> serials) throws KernelException {
        Set<String> wanted = new HashSet<>();
        for (int s : serials) {
            wanted.add(String.format("%08x", s));
        }
        Map<Integer, Integer> out = new HashMap<>();
        try (var lines = Files.lines(PROC_KEYS)) {
            lines.forEach(line -> {
                String[] cols = line.trim().split("\\s+", 4);
                if (cols.length > 2 && wanted.contains(cols[0])
                        && cols[1].indexOf('R') < 0 && cols[1].indexOf('D') < 0 && cols[1].indexOf('i') < 0) {
                    out.put(Integer.parseUnsignedInt(cols[0], 16), Integer.parseInt(cols[2]));
                }
            });
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new KernelException("read /proc/keys", KernelException.ENOENT, e.getMessage());
        }
        return out;
    }
}
