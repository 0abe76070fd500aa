package org.keyinitd.keyring;

import java.security.SecureRandom;
import java.util.HexFormat;
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

    /** Possessor: everything. Owner (the user): view, read, link, and SEARCH, which the join by name needs. */
    public static final int SESSION_KEYRING_PERM = Kernel.KEY_POS_ALL
            | Kernel.KEY_USR_VIEW | Kernel.KEY_USR_READ | Kernel.KEY_USR_SEARCH | Kernel.KEY_USR_LINK;
    /** Root-owned, possessor-only: no other process can search, join or modify it. */
    static final int REGISTRY_PERM = Kernel.KEY_POS_ALL | Kernel.KEY_USR_VIEW;

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

    /** Starts the worker thread and sets up its registry. */
    public static KeyringService start(Kernel kernel, long timeoutMillis) throws KeyringException {
        KeyringService service = new KeyringService(new KeyringWorker(kernel, 1024), timeoutMillis);
        service.registry = service.worker.start(k -> {
            k.joinSessionKeyring(null);
            int reg = k.addKeyring(REGISTRY_NAME, Kernel.KEY_SPEC_SESSION_KEYRING);
            k.setPermissions(reg, REGISTRY_PERM);
            return reg;
        });
        log.info("keyring worker ready, registry keyring {}", service.registry);
        return service;
    }

    public int registrySerial() {
        return registry;
    }

    /**
     * Creates a session keyring owned by (and charged to) the user, with the user keyring linked
     * in. The work is done with the thread's ids switched to the user's: the key takes its owner
     * from the fsuid, and KEY_SPEC_USER_KEYRING resolves through the real uid.
     */
    @Override
    public SessionKeyring create(long uid, long gid) throws KeyringException {
        String name = NAME_PREFIX + HexFormat.of().formatHex(randomBytes());
        int serial = worker.call(k -> KeyringWorker.asUser(k, uid, gid, kk -> {
            int key = kk.addKeyring(name, registry);
            try {
                kk.setPermissions(key, SESSION_KEYRING_PERM);
                kk.link(Kernel.KEY_SPEC_USER_KEYRING, key);
            } catch (KernelException e) {
                discard(kk, key);
                throw e;
            }
            return key;
        }), timeoutMillis);
        return new SessionKeyring(name, serial);
    }

    /** Revokes a session keyring and drops it from the registry. Already revoked or gone counts as done. */
    @Override
    public void revoke(int serial) throws KeyringException {
        worker.call(k -> {
            try {
                k.revoke(serial);
            } catch (KernelException e) {
                if (!isGone(e)) {
                    throw e;
                }
            }
            unlinkQuietly(k, serial);
            return null;
        }, timeoutMillis);
    }

    /** Drops a session keyring from the registry without revoking it: the session's processes keep it. */
    @Override
    public void release(int serial) throws KeyringException {
        worker.call(k -> {
            unlinkQuietly(k, serial);
            return null;
        }, timeoutMillis);
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
