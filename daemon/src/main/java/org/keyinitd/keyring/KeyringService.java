package org.keyinitd.keyring;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import org.keyinitd.linux.KernelException;
import org.keyinitd.linux.Passwd;
import org.keyinitd.linux.Kernel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Session keyring operations, all run on the {@link KeyringWorker} thread.
 *
 * <p>The worker thread joins an anonymous session keyring of its own and keeps a "registry"
 * keyring in it. Every session keyring is created inside the registry, so the daemon possesses
 * it and can revoke it later: revoke needs WRITE or SETATTR, which only the possessor bits grant
 * (root gets no bypass: docs/security.md, "The kernel facts it rests on").
 */
public final class KeyringService implements SessionKeyrings, AutoCloseable {
    public static final String NAME_PREFIX = "keyinitd.";
    static final String REGISTRY_NAME = "keyinitd.registry";
    /**
     * The system account whose user keyring anchors the registry. It must exist (the package
     * creates it; a daemon without it refuses to start) so that its uid is never given to a
     * real user, and it must never log in: a process with its uid as real uid holds every
     * session keyring.
     */
    public static final String ANCHOR_USER = "keyinitd";
    /** How long after {@code max_lifetime} the kernel expires a keyring the daemon did not revoke in time. */
    public static final int EXPIRY_GRACE_SECONDS = 30;

    /**
     * Root-owned, and only the possessor (the worker thread, through its own session keyring and
     * the anchor) may do anything with it: a root process that merely sees it can neither list,
     * search nor link it, so holding root's keyrings gives no way in.
     */
    static final int REGISTRY_PERM = Kernel.KEY_POS_ALL;
    /** The worker thread's own session keyring: likewise for the possessor alone. */
    static final int WORKER_SESSION_PERM = Kernel.KEY_POS_ALL;

    private static final Logger log = LoggerFactory.getLogger(KeyringService.class);
    private static final int NAME_RANDOM_BYTES = 16; // 128 bits: nobody can pre-create the name

    private final KeyringWorker worker;
    private final long timeoutMillis;
    private long anchorUid;
    private final SecureRandom random = new SecureRandom();
    private int registry;

    private KeyringService(KeyringWorker worker, long timeoutMillis) {
        this.worker = worker;
        this.timeoutMillis = timeoutMillis;
    }

    /**
     * Starts the worker thread and gives it possession of the registry.
     *
     * <p>The registry must outlive the daemon (a restarted daemon finds its session keyrings
     * again), so something other than the daemon must hold it; and whatever holds it gives its
     * holders every user's session keyring (possession is transitive: docs/security.md, "The kernel facts it rests on"). It is anchored
     * in the user keyring {@code _uid.A} of the dedicated system account A ({@link #ANCHOR_USER}):
     * the kernel keeps that keyring as long as the user namespace, whether or not A has a
     * process, and only a process whose real uid is A possesses it. No login runs as A, and no
     * keyring a login can hold links {@code _uid.A} (linking it needs A's rights). Root's user
     * keyring {@code _uid.0}, where 0.1 kept the registry, is reachable from every root login's
     * keyrings and from {@code _uid_ses.0}; a registry found there is moved out.
     *
     * <p>The worker reaches {@code _uid.A} by switching its real uid alone to A for the moment of
     * the look-up (@u resolves through the real uid; the effective uid stays 0, so the registry
     * it makes is owned by root, and charged to root's quota). The registry is found by listing
     * {@code _uid.A}, never by a search by name; only the daemon can write into {@code _uid.A}.
     * Afterwards the worker holds the registry through its own session keyring alone.
     */
    public static KeyringService start(Kernel kernel, String registryName, long anchorUid, long timeoutMillis)
            throws KeyringException {
        if (anchorUid == 0) {
            throw new KeyringException("the registry's anchor account must not be root: every root login"
                    + " would then hold every user's session keyring", 0);
        }
        KeyringService service = new KeyringService(new KeyringWorker(kernel, 1024), timeoutMillis);
        service.anchorUid = anchorUid;
        String[] how = {"created"};
        service.registry = service.worker.start(k -> {
            k.joinSessionKeyring(null); // a private session keyring for this thread
            k.setPermissions(Kernel.KEY_SPEC_SESSION_KEYRING, WORKER_SESSION_PERM);
            int legacy = findRegistry(k, Kernel.KEY_SPEC_USER_KEYRING, registryName); // _uid.0: 0.1's place
            if (legacy > 0) {
                k.link(legacy, Kernel.KEY_SPEC_SESSION_KEYRING); // keep hold of it while it moves
            }
            // @u resolves to _uid.A only while the real uid is A; linked into this thread's own
            // session keyring, it (and what is in it) is possessed by serial too, for the moment
            // of the start.
            int anchor = withRealUid(k, anchorUid, kk -> {
                kk.link(Kernel.KEY_SPEC_USER_KEYRING, Kernel.KEY_SPEC_SESSION_KEYRING);
                return kk.keyringId(Kernel.KEY_SPEC_USER_KEYRING, false);
            });
            int reg;
            try {
                int found = findRegistry(k, anchor, registryName);
                reg = found > 0 ? found : legacy > 0 ? legacy
                        : k.addKeyring(registryName, Kernel.KEY_SPEC_SESSION_KEYRING);
                how[0] = found > 0 ? "found" : legacy > 0 ? "moved out of root's user keyring" : "created";
                k.link(reg, anchor);
                k.link(reg, Kernel.KEY_SPEC_SESSION_KEYRING); // while it is still possessed through the anchor
            } finally {
                k.unlink(anchor, Kernel.KEY_SPEC_SESSION_KEYRING);
            }
            k.setPermissions(reg, REGISTRY_PERM);
            if (legacy > 0) {
                k.unlink(legacy, Kernel.KEY_SPEC_USER_KEYRING);
                if (legacy != reg) {
                    log.warn("a registry keyring {} named {} was in root's user keyring besides {}: unlinked;"
                            + " its sessions can no longer be revoked by the daemon", legacy, registryName, reg);
                    k.unlink(legacy, Kernel.KEY_SPEC_SESSION_KEYRING);
                }
            }
            return reg;
        });
        log.info("keyring worker started, {} registry keyring {} ({}), anchored in the user keyring of uid {}",
                how[0], service.registry, registryName, anchorUid);
        return service;
    }

    /** The uid of {@link #ANCHOR_USER}, or an error that says how to create the account. */
    public static long anchorUid(Kernel kernel) throws KeyringException {
        Optional<Passwd> pw;
        try {
            pw = kernel.passwdByName(ANCHOR_USER);
        } catch (KernelException e) {
            throw new KeyringException("cannot look up the system account " + ANCHOR_USER + ": " + e.getMessage(),
                    e.errno());
        }
        if (pw.isEmpty()) {
            throw new KeyringException("the system account '" + ANCHOR_USER + "' does not exist; it anchors the"
                    + " registry of session keyrings (create it with: adduser --system --group --no-create-home"
                    + " --home /nonexistent " + ANCHOR_USER + ")", 0);
        }
        return pw.get().uid();
    }

    /** Runs {@code body} with only the thread's real uid switched to {@code uid}; the effective ids stay. */
    private static <T> T withRealUid(Kernel k, long uid, KeyringWorker.Task<T> body)
            throws KernelException, KeyringException {
        org.keyinitd.linux.Credentials before = k.threadCredentials();
        k.setresuid(uid, before.euid(), before.suid());
        try {
            return body.run(k);
        } finally {
            k.setresuid(before.ruid(), before.euid(), before.suid());
        }
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

    /** A root-owned keyring named {@code name} linked directly in {@code keyring}, or 0. */
    private static int findRegistry(Kernel k, int keyring, String name) throws KernelException {
        for (int key : k.readKeyring(keyring)) {
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
        if (uid == anchorUid) {
            // Its logins hold the registry through @u whatever their session keyring: none is made for it.
            throw new KeyringException("uid " + uid + " is the system account " + ANCHOR_USER
                    + ", which anchors every session keyring and must never log in", KernelException.EPERM);
        }
        String name = NAME_PREFIX + HexFormat.of().formatHex(randomBytes());
        int serial = worker.call(k -> {
            int[] made = {0};
            try {
                if (spec.rootOwned()) {
                    made[0] = k.addKeyring(name, registry);
                }
                // One switch to the user's ids for both the add (a user-owned keyring) and the link.
                if (!spec.rootOwned() || spec.linkUserKeyring()) {
                    KeyringWorker.asUser(k, uid, gid, kk -> {
                        if (made[0] == 0) {
                            made[0] = kk.addKeyring(name, registry);
                        }
                        if (spec.linkUserKeyring()) {
                            kk.link(Kernel.KEY_SPEC_USER_KEYRING, made[0]);
                        }
                        return null;
                    });
                }
            } catch (KernelException | KeyringException e) {
                if (made[0] != 0) {
                    discard(k, made[0]);
                }
                throw e;
            }
            int key = made[0];
            try {
                if (spec.linkPersistentKeyring()) {
                    k.linkPersistentKeyring(uid, key);
                }
                if (spec.lifetimeSeconds() > 0) {
                    k.setTimeout(key, spec.lifetimeSeconds() + EXPIRY_GRACE_SECONDS); // see pastLifetime
                }
                k.setPermissions(key, spec.permissions()); // last: the links and the timeout need the default possessor rights
            } catch (KernelException e) {
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
    public Ended end(int serial, End how) throws KeyringException {
        return worker.call(k -> {
            Map<String, Integer> types = readContents(k, serial);
            try {
                if (how == End.RELEASE) {
                    unlinkQuietly(k, serial);
                } else {
                    killOnWorker(k, serial, how == End.INVALIDATE);
                }
            } catch (KernelException e) {
                return new Ended(types, new KeyringException(e));
            }
            return new Ended(types, null);
        }, timeoutMillis);
    }

    private void killOnWorker(Kernel k, int serial, boolean invalidate) throws KernelException {
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

    /**
     * {@code max_lifetime}: the daemon revokes the keyring when it runs out (revoking clears its
     * links, so its keys die); the kernel's expiry, set {@link #EXPIRY_GRACE_SECONDS} later, is the
     * backstop for a daemon that is down then. The order matters: an expired key can no longer be
     * revoked (the kernel answers EKEYEXPIRED), and an expired keyring still hands its keys to
     * lookups by name until the garbage collector reaps it. The remaining time is the kernel's
     * own count, so it survives a daemon restart.
     */
    @Override
    public java.util.Set<Integer> pastLifetime(Collection<Integer> serials) throws KeyringException {
        return worker.call(k -> ProcKeys.expiringWithin(serials, EXPIRY_GRACE_SECONDS), timeoutMillis);
    }

    @Override
    public KeyringView inspect(int serial) throws KeyringException {
        return worker.call(k -> {
            String[] cols = ProcKeys.line(serial); // ID FLAGS USAGE TIMEOUT ...: only keys the worker may view
            String timeout = cols == null ? "" : cols[3];
            int usage = cols == null ? 0 : Integer.parseInt(cols[2]);
            String description;
            try {
                description = k.describe(serial);
            } catch (KernelException e) {
                String state = e.errno() == KernelException.EKEYREVOKED ? "revoked"
                        : e.errno() == KernelException.EKEYEXPIRED ? "expired" : "gone";
                return new KeyringView(serial, state, "", timeout, usage, java.util.List.of());
            }
            java.util.List<KeyringView.Key> keys = new java.util.ArrayList<>();
            for (int key : k.readKeyring(serial)) {
                try {
                    String[] d = k.describe(key).split(";", 5); // type;uid;gid;perm;description
                    keys.add(new KeyringView.Key(key, d[0], d[4], Long.parseLong(d[1]), Long.parseLong(d[2]),
                            "0x" + d[3]));
                } catch (KernelException e) {
                    keys.add(new KeyringView.Key(key, "unknown", "(" + e.getMessage() + ")", -1, -1, ""));
                }
            }
            return new KeyringView(serial, "alive", description, timeout, usage, java.util.List.copyOf(keys));
        }, timeoutMillis);
    }

    @Override
    public Map<String, Integer> contents(int serial) throws KeyringException {
        return worker.call(k -> readContents(k, serial), timeoutMillis);
    }

    private static Map<String, Integer> readContents(Kernel k, int serial) {
            Map<String, Integer> types = new java.util.TreeMap<>();
            int[] keys;
            try {
                keys = k.readKeyring(serial);
            } catch (KernelException e) {
                return types; // revoked, expired or gone: nothing to tell
            }
            for (int key : keys) {
                String type;
                try {
                    type = k.describe(key).split(";", 2)[0]; // "type;uid;gid;perm;description"
                } catch (KernelException e) {
                    type = "unknown";
                }
                types.merge(type, 1, Integer::sum);
            }
            return types;
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
