package org.keyinitd.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * The one place that calls into native code: keyctl/add_key, per-thread credential syscalls and
 * NSS lookups. Every method maps a failure to a checked {@link KernelException} with its errno.
 *
 * <p>Credential changes use raw syscalls, never glibc's wrappers: glibc's setresuid() changes
 * every thread of the process, the raw syscall only the caller (docs/security.md, "The daemon's
 * checks").
 */
public final class Kernel {
    public static final int KEY_SPEC_THREAD_KEYRING = -1;
    public static final int KEY_SPEC_PROCESS_KEYRING = -2;
    public static final int KEY_SPEC_SESSION_KEYRING = -3;
    public static final int KEY_SPEC_USER_KEYRING = -4;
    public static final int KEY_SPEC_USER_SESSION_KEYRING = -5;

    public static final int KEY_POS_ALL = 0x3f000000;
    public static final int KEY_USR_VIEW = 0x00010000;
    public static final int KEY_USR_READ = 0x00020000;
    public static final int KEY_USR_WRITE = 0x00040000;
    public static final int KEY_USR_SEARCH = 0x00080000;
    public static final int KEY_USR_LINK = 0x00100000;
    public static final int KEY_USR_SETATTR = 0x00200000;

    private static final int KEYCTL_GET_KEYRING_ID = 0;
    private static final int KEYCTL_JOIN_SESSION_KEYRING = 1;
    private static final int KEYCTL_REVOKE = 3;
    private static final int KEYCTL_SETPERM = 5;
    private static final int KEYCTL_DESCRIBE = 6;
    private static final int KEYCTL_LINK = 8;
    private static final int KEYCTL_UNLINK = 9;
    private static final int KEYCTL_READ = 11;
    private static final int KEYCTL_SET_TIMEOUT = 15;
    private static final int KEYCTL_INVALIDATE = 21;
    private static final int KEYCTL_GET_PERSISTENT = 22;

    /** First buffer for getpwnam_r/getgrgid_r; doubled on ERANGE up to {@link #NSS_BUFFER_MAX}. */
    static final int NSS_BUFFER_SIZE = 16384;
    static final long NSS_BUFFER_MAX = 64L << 20;

    private final Libc libc;
    private final Syscalls nr;

    public Kernel() {
        this.libc = Libc.INSTANCE;
        this.nr = Syscalls.CURRENT;
    }

    /**
     * Binds the native functions (JNA's proxy and direct mappings) now, on the calling thread:
     * the launcher does it on a second thread while the main one reads the configuration.
     */
    public static void preload() {
        DirectLibc.load();
        new Kernel();
    }

    // ---- keyrings ----------------------------------------------------------------------------

    /** add_key("keyring", name, NULL, 0, destination): a new empty keyring owned by the fsuid. */
    public int addKeyring(String name, int destination) throws KernelException {
        Scratch t = SCRATCH.get();
        try {
            return (int) DirectLibc.syscall(nr.addKey(), KEYRING_TYPE_ADDRESS, t.cString(name), 0L, 0L, destination);
        } catch (LastErrorException e) {
            throw failure("add_key(keyring, " + name + ")", e);
        }
    }

    /** KEYCTL_JOIN_SESSION_KEYRING: joins (or creates) a named keyring; null makes an anonymous one. */
    public int joinSessionKeyring(String name) throws KernelException {
        Object arg = name == null ? (Object) 0L : name;
        return (int) call("keyctl_join_session_keyring", nr.keyctl(), (long) KEYCTL_JOIN_SESSION_KEYRING, arg);
    }

    public int keyringId(int special, boolean create) throws KernelException {
        return (int) keyctl("keyctl_get_keyring_ID", KEYCTL_GET_KEYRING_ID, special, create ? 1L : 0L, 0L);
    }

    public void setPermissions(int key, int perm) throws KernelException {
        keyctl("keyctl_setperm", KEYCTL_SETPERM, key, perm & 0xFFFF_FFFFL, 0L);
    }

    public void link(int key, int keyring) throws KernelException {
        keyctl("keyctl_link", KEYCTL_LINK, key, keyring, 0L);
    }

    public void unlink(int key, int keyring) throws KernelException {
        keyctl("keyctl_unlink", KEYCTL_UNLINK, key, keyring, 0L);
    }

    /** KEYCTL_SET_TIMEOUT: the key expires this many seconds from now (0: never). */
    public void setTimeout(int key, long seconds) throws KernelException {
        keyctl("keyctl_set_timeout", KEYCTL_SET_TIMEOUT, key, seconds, 0L);
    }

    public void revoke(int key) throws KernelException {
        keyctl("keyctl_revoke", KEYCTL_REVOKE, key, 0L, 0L);
    }

    public void invalidate(int key) throws KernelException {
        keyctl("keyctl_invalidate", KEYCTL_INVALIDATE, key, 0L, 0L);
    }

    /** KEYCTL_GET_PERSISTENT: links uid's persistent keyring into {@code destination}; returns its serial. */
    public int linkPersistentKeyring(long uid, int destination) throws KernelException {
        return (int) keyctl("keyctl_get_persistent", KEYCTL_GET_PERSISTENT, uid, destination, 0L);
    }

    /** KEYCTL_READ on a keyring: the serials linked directly in it. */
    public int[] readKeyring(int keyring) throws KernelException {
        Memory buf = SCRATCH.get().read;
        long size = buf.size();
        while (true) {
            long n = keyctl("keyctl_read", KEYCTL_READ, keyring, Pointer.nativeValue(buf), size);
            if (n <= size) {
                return buf.getIntArray(0, (int) n / 4);
            }
            size = n;
            buf = new Memory(size); // a big keyring: this once
        }
    }

    /** KEYCTL_DESCRIBE: "type;uid;gid;perm;description". */
    public String describe(int key) throws KernelException {
        Memory buf = SCRATCH.get().describe;
        long n = keyctl("keyctl_describe", KEYCTL_DESCRIBE, key, Pointer.nativeValue(buf), buf.size());
        return buf.getString(0, "UTF-8").substring(0, (int) Math.min(n, buf.size()) - 1);
    }

    // ---- clocks -------------------------------------------------------------------------------

    private static final int CLOCK_MONOTONIC = 1;

    /** clock_gettime(CLOCK_MONOTONIC) in nanoseconds: the clock the PAM module's deadlines use. */
    public long monotonicNanos() throws KernelException {
        Memory ts = new Memory(16); // struct timespec on LP64
        try {
            libc.clock_gettime(CLOCK_MONOTONIC, ts);
        } catch (LastErrorException e) {
            throw new KernelException("clock_gettime", e.getErrorCode(), libc.strerror(e.getErrorCode()));
        }
        return ts.getLong(0) * 1_000_000_000L + ts.getLong(8);
    }

    // ---- per-thread credentials --------------------------------------------------------------

    /**
     * How many times setresuid/setresgid were called (any thread): the keyring worker checks its
     * credentials after a task only if this moved, since no other call changes them.
     */
    public long credentialChanges() {
        return credentialChanges.get();
    }

    private final java.util.concurrent.atomic.AtomicLong credentialChanges = new java.util.concurrent.atomic.AtomicLong();

    public void setresuid(long ruid, long euid, long suid) throws KernelException {
        credentialChanges.incrementAndGet();
        sys("setresuid", nr.setresuid(), ruid, euid, suid);
    }

    public void setresgid(long rgid, long egid, long sgid) throws KernelException {
        credentialChanges.incrementAndGet();
        sys("setresgid", nr.setresgid(), rgid, egid, sgid);
    }

    /** The calling thread's ids, read with the raw syscalls. */
    public Credentials threadCredentials() throws KernelException {
        Memory c = SCRATCH.get().creds;
        long a = Pointer.nativeValue(c);
        sys("getresuid", nr.getresuid(), a, a + 4, a + 8);
        sys("getresgid", nr.getresgid(), a + 12, a + 16, a + 20);
        return new Credentials(
                c.getInt(0) & 0xFFFF_FFFFL, c.getInt(4) & 0xFFFF_FFFFL, c.getInt(8) & 0xFFFF_FFFFL,
                c.getInt(12) & 0xFFFF_FFFFL, c.getInt(16) & 0xFFFF_FFFFL, c.getInt(20) & 0xFFFF_FFFFL);
    }

    // ---- sockets ------------------------------------------------------------------------------

    private static final int SOCK_CLOEXEC = 02000000;

    /**
     * accept4(2) on a listening socket, blocking, the new descriptor close-on-exec: no peer
     * address is asked for (the caller reads SO_PEERCRED), so nothing is allocated per
     * connection, unlike jnr-unixsocket's accept (a sockaddr_un struct of field objects and two
     * fcntl calls). EINTR comes back as a KernelException with that errno.
     */
    public int accept(int listeningFd) throws KernelException {
        try {
            return (int) DirectLibc.syscall(nr.accept4(), listeningFd, 0L, 0L, SOCK_CLOEXEC, 0L);
        } catch (LastErrorException e) {
            throw failure("accept4", e);
        }
    }

    // ---- process liveness -------------------------------------------------------------------

    private static final int EPOLL_CLOEXEC = 02000000;
    private static final int EPOLL_CTL_ADD = 1;
    private static final int EPOLL_CTL_DEL = 2;
    private static final int EPOLLIN = 1;

    /** pidfd_open(2): a descriptor that becomes readable when the process exits; immune to pid reuse. */
    public int pidfdOpen(long pid) throws KernelException {
        return (int) sys("pidfd_open", nr.pidfdOpen(), pid, 0L, 0L);
    }

    public void closeFd(int fd) {
        try {
            libc.close(fd);
        } catch (LastErrorException ignored) {
            // nothing useful to do about a failed close of a descriptor we are done with
        }
    }

    public int epollCreate() throws KernelException {
        try {
            return libc.epoll_create1(EPOLL_CLOEXEC);
        } catch (LastErrorException e) {
            throw new KernelException("epoll_create1", e.getErrorCode(), libc.strerror(e.getErrorCode()));
        }
    }

    /** Watches {@code fd} for readability; {@code tag} comes back from {@link #epollWait}. */
    public void epollAdd(int epfd, int fd, long tag) throws KernelException {
        Memory ev = SCRATCH.get().epollEvents(1, nr.epollEventSize());
        ev.setInt(0, EPOLLIN);
        ev.setLong(nr.epollDataOffset(), tag);
        try {
            libc.epoll_ctl(epfd, EPOLL_CTL_ADD, fd, ev);
        } catch (LastErrorException e) {
            throw new KernelException("epoll_ctl(ADD)", e.getErrorCode(), libc.strerror(e.getErrorCode()));
        }
    }

    public void epollDelete(int epfd, int fd) {
        try {
            libc.epoll_ctl(epfd, EPOLL_CTL_DEL, fd, SCRATCH.get().epollEvents(1, nr.epollEventSize()));
        } catch (LastErrorException ignored) {
            // already gone: closing a descriptor removes it from every epoll set
        }
    }

    /** Waits up to {@code timeoutMillis}; returns the tags of the ready descriptors. */
    public long[] epollWait(int epfd, int max, int timeoutMillis) throws KernelException {
        Memory events = SCRATCH.get().epollEvents(max, nr.epollEventSize());
        int n;
        try {
            n = libc.epoll_wait(epfd, events, max, timeoutMillis);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == KernelException.EINTR) {
                return new long[0];
            }
            throw new KernelException("epoll_wait", e.getErrorCode(), libc.strerror(e.getErrorCode()));
        }
        long[] tags = new long[n];
        for (int i = 0; i < n; i++) {
            tags[i] = events.getLong((long) i * nr.epollEventSize() + nr.epollDataOffset());
        }
        return tags;
    }

    // ---- NSS ---------------------------------------------------------------------------------

    /**
     * struct passwd as glibc declares it (pwd.h); JNA lays it out for the platform, so no offset
     * is written down here. Only filled in by getpwnam_r, never written from Java.
     */
    @Structure.FieldOrder({"pw_name", "pw_passwd", "pw_uid", "pw_gid", "pw_gecos", "pw_dir", "pw_shell"})
    public static final class PasswdStruct extends Structure {
        public Pointer pw_name;
        public Pointer pw_passwd;
        public int pw_uid;
        public int pw_gid;
        public Pointer pw_gecos;
        public Pointer pw_dir;
        public Pointer pw_shell;
    }

    /** struct group (grp.h), the same way. */
    @Structure.FieldOrder({"gr_name", "gr_passwd", "gr_gid", "gr_mem"})
    public static final class GroupStruct extends Structure {
        public Pointer gr_name;
        public Pointer gr_passwd;
        public int gr_gid;
        public Pointer gr_mem;
    }

    /** One *_r call: fills the struct at {@code out} using {@code buf} of {@code size} bytes; its return code. */
    interface NssCall {
        int invoke(Pointer out, Pointer buf, long size, PointerByReference result);
    }

    /**
     * Calls {@code fn} with a buffer that grows (doubling from {@link #NSS_BUFFER_SIZE}) for as long
     * as NSS says ERANGE: a group with thousands of members (AD, LDAP) needs far more than any
     * fixed size. Returns whether an entry was found (read into {@code out}).
     */
    static boolean nssLookup(String what, Structure out, NssCall fn, Libc libc) throws KernelException {
        for (long size = NSS_BUFFER_SIZE; ; size *= 2) {
            Memory buf = new Memory(size);
            PointerByReference result = new PointerByReference();
            int rc = fn.invoke(out.getPointer(), buf, size, result);
            if (rc == KernelException.ERANGE && size < NSS_BUFFER_MAX) {
                continue;
            }
            if (rc != 0) {
                throw new KernelException(what, rc, libc.strerror(rc));
            }
            if (result.getValue() == null) {
                return false;
            }
            out.read();
            return true;
        }
    }

    public Optional<Passwd> passwdByName(String name) throws KernelException {
        // The common case: this thread's own buffer, direct-mapped; a bigger entry goes the long way.
        Scratch t = SCRATCH.get();
        PasswdStruct mine = t.pwd();
        int rc = DirectLibc.getpwnam_r(name, mine.getPointer(), t.nss, t.nss.size(), t.result);
        if (rc == 0) {
            if (t.result.getLong(0) == 0) {
                return Optional.empty();
            }
            mine.read();
            return Optional.of(new Passwd(mine.pw_name.getString(0), mine.pw_uid & 0xFFFF_FFFFL,
                    mine.pw_gid & 0xFFFF_FFFFL, mine.pw_dir == null ? "" : mine.pw_dir.getString(0)));
        }
        if (rc != KernelException.ERANGE) {
            throw new KernelException("getpwnam_r(" + name + ")", rc, libc.strerror(rc));
        }
        PasswdStruct pwd = new PasswdStruct();
        if (!nssLookup("getpwnam_r(" + name + ")", pwd,
                (out, buf, size, result) -> libc.getpwnam_r(name, out, buf, size, result), libc)) {
            return Optional.empty();
        }
        return Optional.of(new Passwd(pwd.pw_name.getString(0), pwd.pw_uid & 0xFFFF_FFFFL, pwd.pw_gid & 0xFFFF_FFFFL,
                pwd.pw_dir == null ? "" : pwd.pw_dir.getString(0)));
    }

    /**
     * Names and numeric gids of the user's primary and supplementary groups (getgrouplist,
     * getgrgid_r). A gid whose entry NSS does not give is there by number only; one whose entry
     * does not fit even {@link #NSS_BUFFER_MAX} fails the lookup (the caller logs it) rather than
     * silently not matching a {@code group} rule.
     */
    public Set<String> groupsOf(String user, long primaryGid) throws KernelException {
        int[] gids = new int[64];
        IntByReference n = new IntByReference(gids.length);
        if (libc.getgrouplist(user, (int) primaryGid, gids, n) < 0) {
            gids = new int[n.getValue()];
            n.setValue(gids.length);
            if (libc.getgrouplist(user, (int) primaryGid, gids, n) < 0) {
                throw new KernelException("getgrouplist(" + user + ")", KernelException.EINVAL, "group list changed while read");
            }
        }
        Set<String> out = new LinkedHashSet<>();
        GroupStruct grp = new GroupStruct();
        for (int i = 0; i < n.getValue(); i++) {
            long gid = gids[i] & 0xFFFF_FFFFL;
            out.add(Long.toString(gid));
            boolean found;
            try {
                found = nssLookup("getgrgid_r(" + gid + ")", grp,
                        (o, buf, size, result) -> libc.getgrgid_r((int) gid, o, buf, size, result), libc);
            } catch (KernelException e) {
                if (e.errno() == KernelException.ERANGE) {
                    throw e; // larger than NSS_BUFFER_MAX: say so rather than not match
                }
                found = false; // as before: this group by number only
            }
            if (found) {
                out.add(grp.gr_name.getString(0));
            }
        }
        return out;
    }

    // ---- helpers -----------------------------------------------------------------------------

    /** "keyring\0", the key type of every add_key here; never freed. */
    private static final Memory KEYRING_TYPE = cString0("keyring");
    private static final long KEYRING_TYPE_ADDRESS = Pointer.nativeValue(KEYRING_TYPE);

    private static Memory cString0(String s) {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Memory m = new Memory(b.length + 1L);
        m.write(0, b, 0, b.length);
        m.setByte(b.length, (byte) 0);
        return m;
    }

    /**
     * Each thread's own native buffers, made once: no allocation (and no Memory to be freed by a
     * cleaner later) per call. A thread uses its buffers only between the start and the end of
     * one Kernel call, so no two calls ever share one.
     */
    private static final class Scratch {
        final Memory name = new Memory(256);
        final Memory describe = new Memory(512);
        final Memory read = new Memory(4096);
        final Memory creds = new Memory(24);
        final Memory nss = new Memory(NSS_BUFFER_SIZE);
        final Memory result = new Memory(8);
        private PasswdStruct pwd;
        private Memory epollEvents;

        /** Room for {@code count} struct epoll_event, grown when a caller needs more. */
        Memory epollEvents(int count, int size) {
            long want = (long) count * size;
            if (epollEvents == null || epollEvents.size() < want) {
                epollEvents = new Memory(Math.max(want, 16L * size));
            }
            return epollEvents;
        }

        PasswdStruct pwd() {
            if (pwd == null) {
                pwd = new PasswdStruct();
            }
            return pwd;
        }

        /** {@code s} as a NUL-terminated C string in this thread's buffer (a long one in its own); its address. */
        long cString(String s) {
            byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            Memory m = b.length < name.size() ? name : new Memory(b.length + 1L);
            m.write(0, b, 0, b.length);
            m.setByte(b.length, (byte) 0);
            return Pointer.nativeValue(m);
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private long keyctl(String what, int op, long a2, long a3, long a4) throws KernelException {
        try {
            return DirectLibc.syscall(nr.keyctl(), op, a2, a3, a4, 0L);
        } catch (LastErrorException e) {
            throw failure(what + "(" + a2 + (a3 != 0 ? ", " + a3 : "") + ")", e);
        }
    }

    private long sys(String what, long number, long a1, long a2, long a3) throws KernelException {
        try {
            return DirectLibc.syscall(number, a1, a2, a3, 0L, 0L);
        } catch (LastErrorException e) {
            throw failure(what, e);
        }
    }

    private KernelException failure(String what, LastErrorException e) {
        return new KernelException(what, e.getErrorCode(), libc.strerror(e.getErrorCode()));
    }

    private long call(String what, long number, Object... args) throws KernelException {
        try {
            return libc.syscall(number, args);
        } catch (LastErrorException e) {
            throw new KernelException(what, e.getErrorCode(), libc.strerror(e.getErrorCode()));
        }
    }
}
