package org.keyinitd.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** keyinitctl's --timeout bounds everything, the connect included: a wedged daemon cannot hang an admin. */
class CtlTimeoutIT {
    @TempDir
    static Path dir;

    @BeforeAll
    static void root() {
        Root.require();
    }

    @Test
    void aDaemonThatNeverAcceptsWithAFullBacklogIsUnreachableWithinTheTimeout() throws Exception {
        Path sock = dir.resolve("wedged.sock");
        List<SocketChannel> fill = new ArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock), 1); // listens, never accepts
            // fill the backlog: further connects would block (or fail with EAGAIN) until someone accepts
            for (int i = 0; i < 4; i++) {
                SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
                c.configureBlocking(false);
                try {
                    c.connect(UnixDomainSocketAddress.of(sock));
                    fill.add(c);
                } catch (java.io.IOException full) {
                    c.close();
                }
            }
            Commands.Result r = Ctl.run(sock, "--timeout", "500", "status");
            assertThat(r.exit()).as(r.output()).isEqualTo(4);
            assertThat(r.output()).contains("500 ms");
        } finally {
            for (SocketChannel c : fill) {
                c.close();
            }
        }
    }
}
