package org.keyinitd.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.keyinitd.keyring.KeyringException;
import org.keyinitd.keyring.KeyringWorker;
import org.keyinitd.linux.Credentials;
import org.keyinitd.linux.Kernel;

/**
 * The credential-switching thread can never leak a changed uid into other work: a task that
 * leaves the thread's ids changed stops the worker, and it refuses all further keyring work.
 * Runs in this (root) JVM with the real per-thread syscalls.
 */
class KeyringWorkerIT {
    @BeforeAll
    static void root() {
        Root.require();
    }

    @Test
    void aTaskThatLeavesTheIdsChangedStopsTheWorker() throws Exception {
        Kernel kernel = new Kernel();
        KeyringWorker worker = new KeyringWorker(kernel, 16);
        worker.start(k -> null);
        Credentials mine = kernel.threadCredentials();

        // Well-behaved work that switches and switches back leaves the worker usable.
        Credentials inside = worker.call(k -> KeyringWorker.asUser(k, 65534, 65534, Kernel::threadCredentials), 5000);
        assertThat(inside.ruid()).isEqualTo(65534);
        assertThat(inside.euid()).isEqualTo(65534);
        assertThat(worker.isSafe()).isTrue();

        // A task that "forgets" to switch back: the worker notices before reporting, fails the
        // task itself and stops.
        assertThatThrownBy(() -> worker.call(k -> {
            k.setresuid(65534, 65534, 0);
            return null;
        }, 5000)).isInstanceOf(KeyringException.class).hasMessageContaining("keyring worker stopped");
        assertThat(worker.isSafe()).isFalse();
        assertThatThrownBy(() -> worker.call(Kernel::threadCredentials, 5000))
                .isInstanceOf(KeyringException.class).hasMessageContaining("keyring worker stopped")
                .hasMessageContaining("differ");
        // Only the worker thread's ids ever changed: this thread is untouched.
        assertThat(kernel.threadCredentials()).isEqualTo(mine);
        worker.close();
    }
}
