package org.keyinitd.launcher;

import org.keyinitd.linux.Kernel;
import org.keyinitd.server.SocketServer;

/**
 * Loads the native bindings (jnr-unixsocket's for the socket, JNA's for keyrings and NSS) on a
 * second thread at the very start, while the main thread parses the command line and the
 * configuration: on two CPUs that takes about a quarter of the daemon's start-to-ready time off
 * (docs/benchmarks.md). Only a head start: whatever the main thread needs before this is done,
 * it waits for (class initialization), and a failure here is met and reported there again.
 */
final class NativePreload {
    private NativePreload() {
    }

    static void start() {
        Thread t = new Thread(NativePreload::load, "native-preload");
        t.setDaemon(true);
        t.start();
    }

    private static void load() {
        try {
            SocketServer.preload();
            Kernel.preload();
        } catch (Exception | LinkageError e) {
            // the main thread loads the same classes and reports what fails
        }
    }
}
