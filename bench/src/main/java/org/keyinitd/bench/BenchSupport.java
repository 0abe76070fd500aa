package org.keyinitd.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import org.keyinitd.config.Config;
import org.keyinitd.config.ConfigException;
import org.keyinitd.config.ConfigLoader;
import org.keyinitd.protocol.FrameCodec;
import org.keyinitd.protocol.ModuleFlags;
import org.keyinitd.protocol.Op;
import org.keyinitd.protocol.OpenRequest;

/** Shared inputs: the 20-rule bench policy and the frames the PAM module sends. */
final class BenchSupport {
    static final String CONFIG_RESOURCE = "/keyinitd-bench.toml";
    /** The PAM service bench/run.sh measures side by side with pam_keyinit: it matches no rule. */
    static final String SERVICE = "kbench-keyinitd";

    private BenchSupport() {
    }

    /** The bench policy (20 rules) as ConfigLoader.parse reads it, rooted in {@code dir}. */
    static Config config(Path dir) {
        String text;
        try (InputStream in = BenchSupport.class.getResourceAsStream(CONFIG_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(CONFIG_RESOURCE + " is not on the classpath");
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("@RUN@", dir.toString()).replace("@DIR@", dir.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            return ConfigLoader.parse(dir.resolve("keyinitd.toml"), text);
        } catch (ConfigException e) {
            throw new IllegalStateException("bench config rejected: " + e.getMessage(), e);
        }
    }

    /** What pam_keyinitd.so sends for `force revoke` from a root login process. */
    static OpenRequest openRequest(String user, long uid, long gid) {
        return new OpenRequest(SERVICE, user, uid, gid, Optional.of("pts/3"), Optional.of("10.20.30.40"),
                Optional.empty(), new ModuleFlags(true, true, false),
                org.keyinitd.protocol.CallerKeyring.NONE, java.util.OptionalLong.empty());
    }

    static byte[] openFrame(OpenRequest req) {
        return FrameCodec.encodeRequest(Op.OPEN.code(), req.toFields());
    }

    static final Set<String> GROUPS = Set.of("1005", "kbench01", "100", "users");
}
