package org.keyinitd.keyring;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Collection;
import java.util.Map;
import org.keyinitd.linux.KernelException;
import org.keyinitd.linux.Kernel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Session keyring operations, all run on the {@link KeyringWorker} thread.
 *
 * <p>The worker thread joins an anonymous session keyring of its own and keeps a "registry"
 * keyring in it. Every session keyring is created inside the registry, so the daemon possesses
 * it and can revoke it later: revoke needs WRITE or SETATTR, which only the possessor bits grant
 * (root gets no bypass, DESIGN.md).
 */
public final class KeyringService implements SessionKeyrings, AutoCloseable {
    public static final String NAME_PREFIX = "keyinitd.";
    static final String REGISTRY_NAME = "keyinitd.registry";

    /**
     * Root-owned. The possessor (the worker thread) may do anything; other root processes may
     * view, read and link it (a restarted daemon links it back into its thread); nobody else
     * anything. No SEARCH for non-possessors: it can never be joined by name.
     */
    static final int REGISTRY_PERM = Kernel.KEY_POS_ALL | Kernel.KEY_USR_VIEW | Kernel.KEY_USR_READ
            | Kernel.KEY_USR_LINK;

    private static final Logger log = LoggerFactory.getLogger(KeyringService.class);
    private static final int NAME_RANDOM_BYTES = 16; // 128 bits: nobody can pre-create the name

    private final KeyringWorker worker;
    private final long timeoutMillis;
    private final SecureRandom random = new SecureRandom();
    private int registry;

    private KeyringService(KeyringWorker worker, long timeoutMillis) {
        this.worker = worker;
        this.timeoutMillis = timeoutMillis;
    }

    /**
     * Starts the worker thread and gives it possession of the registry. The registry is anchored
     * in root's user keyring, which lives as long as the machine (its user namespace), so that a
     * restarted daemon finds it, and the session keyrings in it, again. It is found by listing
     * root's user keyring, never by a search by name, so no other user can plant a keyring of the
     * same name for the daemon to adopt: only root can own a key with uid 0.
     */
    public static KeyringService start(Kernel kernel, String registryName, long timeoutMillis) throws KeyringException {
        KeyringService service = new KeyringService(new KeyringWorker(kernel, 1024), timeoutMillis);
        boolean[] found = {false};
        service.registry = service.worker.start(k -> {
            k.joinSessionKeyring(null); // a private session keyring for this thread
            int reg = findRegistry(k, registryName);
            if (reg > 0) {
                found[0] = true;
                k.link(reg, Kernel.KEY_SPEC_SESSION_KEYRING);
            } else {
                reg = k.addKeyring(registryName, Kernel.KEY_SPEC_SESSION_KEYRING);
                k.setPermissions(reg, REGISTRY_PERM);
                k.link(reg, Kernel.KEY_SPEC_USER_KEYRING);
            }
            return reg;
        });
        log.info("keyring worker started, {} registry keyring {} ({})", found[0] ? "found" : "created",
                service.registry, registryName);
        return service;
    }

    /** The registry's name for a state directory, so two daemons with different state never share one. */
    public static String registryName(java.nio.file.Path stateDir) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(stateDir.toAbsolutePath().normalize().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return REGISTRY_NAME + "." + HexFormat.of().formatHex(digest, 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }

    private static int findRegistry(Kernel k, String name) throws KernelException {
        for (int key : k.readKeyring(Kernel.KEY_SPEC_USER_KEYRING)) {
            String description;
            try {
                description = k.describe(key);
            } catch (KernelException e) {
                continue; // not viewable: not ours
            }
            // "type;uid;gid;perm;description"
            String[] f = description.split(";", 5);
            if (f.length == 5 && f[0].equals("keyring") && f[1].equals("0") && f[4].equals(name)) {
                return key;
            }
        }
        return 0;
    }

    /**
     * Creates a session keyring inside the registry. Owned by the user (the default): made with
     * the thread's ids switched to the user's, since a key takes its owner, and its quota charge,
     * from the fsuid. Owned by root: made with the daemon's own ids. Either way the user keyring
     * is linked in with the ids switched (KEY_SPEC_USER_KEYRING resolves through the real uid, and
     * linking needs the owner's LINK right on it), and the persistent keyring as root (fetching
     * another uid's needs CAP_SETUID).
     */
    @Override
    public SessionKeyring create(long uid, long gid, KeyringSpec spec) throws KeyringException {
        String name = NAME_PREFIX + HexFormat.of().formatHex(randomBytes());
        int serial = worker.call(k -> {
            int key = spec.rootOwned() ? k.addKeyring(name, registry)
                    : KeyringWorker.asUser(k, uid, gid, kk -> kk.addKeyring(name, registry));
            try {
                if (spec.linkUserKeyring()) {
                    KeyringWorker.asUser(k, uid, gid, kk -> {
                        kk.link(Kernel.KEY_SPEC_USER_KEYRING, key);
                        return null;
                    });
                }
                if (spec.linkPersistentKeyring()) {
                    k.linkPersistentKeyring(uid, key);
                }
                k.setPermissions(key, spec.permissions()); // last: the links need the default possessor WRITE
            } catch (KernelException | KeyringException e) {
                discard(k, key);
                throw e;
            }
            return key;
        }, timeoutMillis);
        return new SessionKeyring(name, serial);
    }

    @Override
    public void kill(int serial, boolean invalidate) throws KeyringException {
        worker.call(k -> {
            try {
                if (invalidate) {
                    k.invalidate(serial);
                } else {
                    k.revoke(serial);
                }
            } catch (KernelException e) {
                if (!isGone(e)) {
                    throw e;
                }
            }
            unlinkQuietly(k, serial);
            return null;
        }, timeoutMillis);
    }

    @Override
    public void release(int serial) throws KeyringException {
        worker.call(k -> {
            unlinkQuietly(k, serial);
            return null;
        }, timeoutMillis);
    }

    /**
     * Reads the usage count from /proc/keys. It must be read on the worker thread: the file lists
     * only keys the reading thread may view, and the worker is the one that possesses them.
     */
    @Override
    public Map<Integer, Integer> usages(Collection<Integer> serials) throws KeyringException {
        return worker.call(k -> ProcKeys.usages(serials), timeoutMillis);
    }

    private void unlinkQuietly(Kernel k, int serial) {
        try {
            k.unlink(serial, registry);
        } catch (KernelException e) {
            log.debug("unlink {} from registry: {}", serial, e.getMessage());
        }
    }

    private void discard(Kernel k, int key) {
        try {
            k.revoke(key);
        } catch (KernelException e) {
            log.warn("could not revoke half-made keyring {}: {}", key, e.getMessage());
        }
        unlinkQuietly(k, key);
    }

    private static boolean isGone(KernelException e) {
        return e.errno() == KernelException.EKEYREVOKED || e.errno() == KernelException.ENOKEY
                || e.errno() == KernelException.EKEYEXPIRED;
    }

    private byte[] randomBytes() {
        byte[] bytes = new byte[NAME_RANDOM_BYTES];
        random.nextBytes(bytes);
        return bytes;
    }

    @Override
    public void close() {
        worker.close();
    }
}
