package org.keyinitd.keyring;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.keyinitd.linux.Credentials;
import org.keyinitd.linux.KernelException;
import org.keyinitd.linux.Kernel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dedicated thread that does all keyring work. Kernel credentials are per thread, so this
 * thread alone may switch ids (with raw syscalls), and it checks after every task that its ids
 * are back to what they were at start. If they are not, it stops and refuses all further work:
 * a thread with a user's uid must never do anything else.
 */
public final class KeyringWorker implements AutoCloseable {
    /** Work run on the worker thread. */
    @FunctionalInterface
    public interface Task<T> {
        T run(Kernel kernel) throws KernelException, KeyringException;
    }

    /**
     * One queued task and the future its caller waits on. {@code state} decides, once, whether the
     * task runs: the worker claims it (QUEUED to RUNNING) or a caller that stopped waiting
     * abandons it (QUEUED to ABANDONED), never both.
     */
    private record Job<T>(Task<T> task, CompletableFuture<T> result, AtomicInteger state) {
        static final int QUEUED = 0;
        static final int RUNNING = 1;
        static final int ABANDONED = 2;

        Job(Task<T> task, CompletableFuture<T> result) {
            this(task, result, new AtomicInteger(QUEUED));
        }

        boolean claim() {
            return state.compareAndSet(QUEUED, RUNNING);
        }

        boolean abandon() {
            return state.compareAndSet(QUEUED, ABANDONED);
        }

        /** Runs the task; the caller learns the outcome only from {@link #finish}. */
        Object execute(Kernel kernel) {
            try {
                return task.run(kernel);
            } catch (KernelException e) {
                return new KeyringException(e);
            } catch (Throwable e) {
                return e;
            }
        }

        @SuppressWarnings("unchecked")
        void finish(Object outcome) {
            if (outcome instanceof Throwable t) {
                result.completeExceptionally(t);
            } else {
                result.complete((T) outcome);
            }
        }

        void fail(String reason) {
            result.completeExceptionally(new KeyringException("keyring worker stopped: " + reason, 0));
        }
    }

    private static final Logger log = LoggerFactory.getLogger(KeyringWorker.class);
    private static final Job<Void> STOP = new Job<>(null, new CompletableFuture<>());

    private final Kernel kernel;
    private final BlockingQueue<Job<?>> queue;
    private final Thread thread;
    private volatile Credentials baseline;
    private volatile String unsafeReason;

    public KeyringWorker(Kernel kernel, int queueCapacity) {
        this.kernel = kernel;
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.thread = new Thread(this::loop, "keyring-worker");
        this.thread.setDaemon(true);
    }

    /** Starts the thread and runs {@code setup} on it first (e.g. joining the registry). */
    public <T> T start(Task<T> setup) throws KeyringException {
        thread.start();
        return call(kernel -> {
            baseline = kernel.threadCredentials();
            return setup.run(kernel);
        }, 10_000);
    }

    /**
     * Runs a task on the worker thread and waits for it. A task still queued after
     * {@code timeoutMillis} is abandoned and never runs; one that has started is waited for, since
     * its effect (a keyring made) must reach the caller, who alone can undo it. Keyring tasks are
     * a few syscalls, so that wait is short.
     */
    public <T> T call(Task<T> task, long timeoutMillis) throws KeyringException {
        String unsafe = unsafeReason;
        if (unsafe != null) {
            throw new KeyringException("keyring worker stopped: " + unsafe, 0);
        }
        Job<T> job = new Job<>(task, new CompletableFuture<>());
        if (!queue.offer(job)) {
            throw new KeyringException("keyring work queue is full", 0);
        }
        try {
            try {
                return job.result().get(timeoutMillis, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                if (job.abandon()) {
                    throw new KeyringException("keyring work waited longer than " + timeoutMillis
                            + " ms to start; abandoned", 0);
                }
                return job.result().get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            job.abandon();
            throw new KeyringException("interrupted while waiting for keyring work", 0);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof KeyringException ke) {
                throw ke;
            }
            log.error("unexpected failure in keyring work", e.getCause());
            throw new KeyringException("internal error in keyring work: " + e.getCause(), 0);
        }
    }

    /**
     * Runs {@code body} with this thread's real, effective and saved-set ids switched to the user
     * (group first, so the uid switch cannot remove the right to change it), then switches back.
     * The saved ids stay those of the daemon so the switch back is allowed.
     */
    public static <T> T asUser(Kernel kernel, long uid, long gid, Task<T> body) throws KernelException, KeyringException {
        Credentials before = kernel.threadCredentials();
        kernel.setresgid(gid, gid, before.sgid());
        try {
            kernel.setresuid(uid, uid, before.suid());
            try {
                return body.run(kernel);
            } finally {
                kernel.setresuid(before.ruid(), before.euid(), before.suid());
            }
        } finally {
            kernel.setresgid(before.rgid(), before.egid(), before.sgid());
        }
    }

    public boolean isSafe() {
        return unsafeReason == null;
    }

    private void loop() {
        while (true) {
            Job<?> job;
            try {
                job = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (job == STOP) {
                return;
            }
            if (!job.claim()) {
                continue; // its caller gave up waiting: it must not happen later
            }
            long changes = kernel.credentialChanges();
            Object outcome = job.execute(kernel);
            // Checked before anyone hears of the outcome: a task that broke the thread fails too.
            // Only ids that were switched can be wrong (setresuid/setresgid alone change them).
            if (kernel.credentialChanges() != changes && !credentialsRestored()) {
                job.fail(unsafeReason);
                failPending();
                return;
            }
            job.finish(outcome);
        }
    }

    private boolean credentialsRestored() {
        Credentials now;
        try {
            now = kernel.threadCredentials();
        } catch (KernelException e) {
            unsafeReason = "cannot read thread credentials: " + e.getMessage();
            log.error("keyring worker refuses further work: {}", unsafeReason);
            return false;
        }
        if (baseline != null && !now.equals(baseline)) {
            unsafeReason = "thread credentials " + now + " differ from " + baseline;
            log.error("keyring worker refuses further work: {}", unsafeReason);
            return false;
        }
        return true;
    }

    private void failPending() {
        Job<?> job;
        while ((job = queue.poll()) != null) {
            job.fail(unsafeReason);
        }
    }

    @Override
    public void close() {
        queue.offer(STOP);
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
