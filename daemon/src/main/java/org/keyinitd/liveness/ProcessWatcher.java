package org.keyinitd.liveness;

import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.keyinitd.linux.Kernel;
import org.keyinitd.linux.KernelException;
import org.keyinitd.linux.ProcStat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices the death of each session's process without polling the process table: one pidfd
 * per watched process (pidfd_open(2), which pins the process, so a reused pid cannot fool it),
 * all in one epoll set waited on by one thread. A pidfd becomes readable when its process exits,
 * however it exits (logout, crash, kill -9, OOM kill).
 */
public final class ProcessWatcher implements AutoCloseable {
    /** Told, on the watcher thread, that a watched process has exited. */
    @FunctionalInterface
    public interface Listener {
        void exited(String sessionId);
    }

    /** Outcome of {@link #watch}. */
    public enum Watch { WATCHING, ALREADY_GONE }

    private static final Logger log = LoggerFactory.getLogger(ProcessWatcher.class);
    private static final int WAIT_MILLIS = 250; // how soon close() is noticed

    private record Watched(String sessionId, int pidfd) {
    }

    private final Kernel kernel;
    private final Listener listener;
    private final int epfd;
    private final Map<Long, Watched> byTag = new ConcurrentHashMap<>();
    private final Map<String, Long> tagBySession = new ConcurrentHashMap<>();
    private final AtomicLong nextTag = new AtomicLong(1);
    private final Thread thread;
    private volatile boolean stopping;

    public ProcessWatcher(Kernel kernel, Listener listener) throws KernelException {
        this.kernel = kernel;
        this.listener = listener;
        this.epfd = kernel.epollCreate();
        this.thread = new Thread(this::loop, "process-watcher");
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /**
     * Starts watching the process {@code pid} that started at {@code startTime} (clock ticks,
     * /proc/PID/stat). If that process no longer exists, or the pid now names another process,
     * says ALREADY_GONE and watches nothing.
     */
    public Watch watch(String sessionId, long pid, long startTime) throws KernelException {
        int pidfd;
        try {
            pidfd = kernel.pidfdOpen(pid);
        } catch (KernelException e) {
            if (e.errno() == 3) { // ESRCH
                return Watch.ALREADY_GONE;
            }
            throw e;
        }
        // The pidfd pins whatever process has this pid now; make sure it is the one we mean.
        OptionalLong now = ProcStat.startTime(pid);
        if (now.isEmpty() || now.getAsLong() != startTime) {
            kernel.closeFd(pidfd);
            return Watch.ALREADY_GONE;
        }
        long tag = nextTag.getAndIncrement();
        byTag.put(tag, new Watched(sessionId, pidfd));
        tagBySession.put(sessionId, tag);
        try {
            kernel.epollAdd(epfd, pidfd, tag);
        } catch (KernelException e) {
            forget(sessionId);
            throw e;
        }
        return Watch.WATCHING;
    }

    /**
     * Pins the process that has {@code pid} now (pidfd_open), before its start time is read:
     * whatever is read of it afterwards is of this process, or its pidfd is readable by the time
     * it is watched. The pidfd, or -1 if there is no such process.
     */
    public int pin(long pid) throws KernelException {
        try {
            return kernel.pidfdOpen(pid);
        } catch (KernelException e) {
            if (e.errno() == 3) { // ESRCH
                return -1;
            }
            throw e;
        }
    }

    /**
     * Watches the process pinned by {@link #pin} (its pidfd, given over to the watcher): no
     * second look at /proc, since the pidfd was opened before the session's start time was read.
     * If the process has exited meanwhile, the epoll set reports it at once.
     */
    public Watch watchPinned(String sessionId, int pidfd) throws KernelException {
        if (pidfd < 0) {
            return Watch.ALREADY_GONE;
        }
        long tag = nextTag.getAndIncrement();
        byTag.put(tag, new Watched(sessionId, pidfd));
        tagBySession.put(sessionId, tag);
        try {
            kernel.epollAdd(epfd, pidfd, tag);
        } catch (KernelException e) {
            forget(sessionId);
            throw e;
        }
        return Watch.WATCHING;
    }

    /** Lets go of a pin that will not be watched. */
    public void unpin(int pidfd) {
        if (pidfd >= 0) {
            kernel.closeFd(pidfd);
        }
    }

    /** Stops watching (the session closed normally). */
    public void unwatch(String sessionId) {
        forget(sessionId);
    }

    private void forget(String sessionId) {
        Long tag = tagBySession.remove(sessionId);
        if (tag == null) {
            return;
        }
        Watched w = byTag.remove(tag);
        if (w != null) {
            kernel.epollDelete(epfd, w.pidfd());
            kernel.closeFd(w.pidfd());
        }
    }

    private void loop() {
        while (!stopping) {
            long[] ready;
            try {
                ready = kernel.epollWait(epfd, 64, WAIT_MILLIS);
            } catch (KernelException e) {
                log.error("process watcher stopped: {}", e.getMessage());
                return;
            }
            for (long tag : ready) {
                Watched w = byTag.get(tag);
                if (w == null) {
                    continue;
                }
                forget(w.sessionId());
                try {
                    listener.exited(w.sessionId());
                } catch (RuntimeException e) {
                    log.error("handling the exit of session {}'s process failed", w.sessionId(), e);
                }
            }
        }
    }

    @Override
    public void close() {
        stopping = true;
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (String id : tagBySession.keySet()) {
            forget(id);
        }
        kernel.closeFd(epfd);
    }
}
