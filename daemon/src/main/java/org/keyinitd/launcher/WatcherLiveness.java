package org.keyinitd.launcher;

import org.keyinitd.linux.KernelException;
import org.keyinitd.liveness.ProcessWatcher;
import org.keyinitd.service.Liveness;
import org.keyinitd.session.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link Liveness} by pidfd: the session's process, identified by pid and start time. */
final class WatcherLiveness implements Liveness {
    private static final Logger log = LoggerFactory.getLogger(WatcherLiveness.class);

    private final ProcessWatcher watcher;

    WatcherLiveness(ProcessWatcher watcher) {
        this.watcher = watcher;
    }

    @Override
    public boolean watch(Session s) {
        try {
            return watcher.watch(s.id(), s.pid(), s.pidStartTime()) == ProcessWatcher.Watch.WATCHING;
        } catch (KernelException e) {
            // Cannot watch (e.g. out of descriptors): the session still works, it only loses
            // revocation on process death. Say so rather than fail the login.
            log.error("cannot watch process {} of session {}: {}; its death will not revoke the keyring",
                    s.pid(), s.id(), e.getMessage());
            return true;
        }
    }

    @Override
    public long pin(long pid) {
        try {
            return watcher.pin(pid);
        } catch (KernelException e) {
            log.error("cannot watch process {}: {}; its death will not revoke the keyring", pid, e.getMessage());
            return UNWATCHABLE;
        }
    }

    /** A pin that failed for want of descriptors: the session works, unwatched (as in watch()). */
    private static final long UNWATCHABLE = Long.MIN_VALUE;

    @Override
    public boolean watchPinned(Session s, long handle) {
        if (handle == UNWATCHABLE) {
            return true;
        }
        try {
            return watcher.watchPinned(s.id(), (int) handle) == ProcessWatcher.Watch.WATCHING;
        } catch (KernelException e) {
            log.error("cannot watch process {} of session {}: {}; its death will not revoke the keyring",
                    s.pid(), s.id(), e.getMessage());
            return true;
        }
    }

    @Override
    public void unpin(long handle) {
        if (handle != UNWATCHABLE) {
            watcher.unpin((int) handle);
        }
    }

    @Override
    public void unwatch(String sessionId) {
        watcher.unwatch(sessionId);
    }
}
