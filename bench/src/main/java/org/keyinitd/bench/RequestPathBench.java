package org.keyinitd.bench;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.keyinitd.policy.LoginContext;
import org.keyinitd.policy.ModuleArguments;
import org.keyinitd.policy.Policy;
import org.keyinitd.policy.PolicyDecision;
import org.keyinitd.policy.RevokeMode;
import org.keyinitd.protocol.CloseRequest;
import org.keyinitd.protocol.Decision;
import org.keyinitd.protocol.Field;
import org.keyinitd.protocol.Fields;
import org.keyinitd.protocol.FrameCodec;
import org.keyinitd.protocol.Header;
import org.keyinitd.protocol.Op;
import org.keyinitd.protocol.OpenRequest;
import org.keyinitd.protocol.ProtocolException;
import org.keyinitd.protocol.Reply;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The daemon's request handling without socket, kernel or disk: decode an OPEN frame, build the
 * request, run the 20-rule policy, encode the reply; and the same for CLOSE. Needs nothing but a
 * JVM (no root).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class RequestPathBench {
    private byte[] openFrame;
    private byte[] closeFrame;
    private Policy policy;
    private LoginContext fallThrough;
    private LoginContext firstRule;
    private Reply openReply;

    @Setup
    public void setup() {
        policy = BenchSupport.config(Path.of("/nonexistent-bench-dir")).policy();
        OpenRequest req = BenchSupport.openRequest("kbench01", 1005, 1005);
        openFrame = BenchSupport.openFrame(req);
        closeFrame = FrameCodec.encodeRequest(Op.CLOSE.code(),
                new CloseRequest("0123456789abcdef0123456789abcdef", Optional.of(123456789), false).toFields());
        fallThrough = context(req);
        firstRule = new LoginContext("sshd", "alice", 1000, Optional.of("pts/0"), Optional.of("10.1.2.3"), false,
                arguments(req), () -> BenchSupport.GROUPS);
        openReply = openReply(policy.decide(fallThrough));
    }

    private static LoginContext context(OpenRequest r) {
        return new LoginContext(r.service(), r.user(), r.uid(), r.tty(), r.rhost(), r.hasSessionKeyring(),
                arguments(r), () -> BenchSupport.GROUPS);
    }

    private static ModuleArguments arguments(OpenRequest r) {
        return new ModuleArguments(r.moduleFlags().force(), r.moduleFlags().revoke());
    }

    private static Reply openReply(PolicyDecision d) {
        return Reply.ok(Op.OPEN, Fields.builder()
                .putU32(Field.DECISION, Decision.CREATED.code())
                .put(Field.SESSION_ID, "0123456789abcdef0123456789abcdef")
                .put(Field.KEYRING_NAME, "keyinitd.0123456789abcdef0123456789abcdef")
                .putI32(Field.KEYRING_SERIAL, 123456789)
                .put(Field.WILL_REVOKE, d.revoke() == RevokeMode.ALWAYS)
                .put(Field.RULE, d.rule())
                .build());
    }

    private static Fields decode(byte[] frame) throws ProtocolException {
        Header h = FrameCodec.decodeHeader(ByteBuffer.wrap(frame), FrameCodec.DEFAULT_MAX_BODY);
        return FrameCodec.decodeFields(Arrays.copyOfRange(frame, FrameCodec.HEADER_SIZE,
                FrameCodec.HEADER_SIZE + h.bodyLength()));
    }

    /** decodeHeader + decodeFields + OpenRequest.from. */
    @Benchmark
    public OpenRequest decodeOpen() throws ProtocolException {
        return OpenRequest.from(decode(openFrame));
    }

    /** Policy.decide over all 20 rules (the bench service matches none). */
    @Benchmark
    public PolicyDecision decideFallThrough() {
        return policy.decide(fallThrough);
    }

    /** Policy.decide where the first rule matches (includes the lazy group lookup, cached set). */
    @Benchmark
    public PolicyDecision decideFirstRule() {
        return policy.decide(firstRule);
    }

    /** FrameCodec.encodeReply of a CREATED reply. */
    @Benchmark
    public byte[] encodeOpenReply() {
        return FrameCodec.encodeReply(openReply);
    }

    /** The whole in-memory OPEN path: decode, request, decide, build and encode the reply. */
    @Benchmark
    public byte[] openPipeline() throws ProtocolException {
        OpenRequest req = OpenRequest.from(decode(openFrame));
        return FrameCodec.encodeReply(openReply(policy.decide(context(req))));
    }

    /** The in-memory CLOSE path: decode, request, build and encode the reply. */
    @Benchmark
    public byte[] closePipeline() throws ProtocolException {
        CloseRequest req = CloseRequest.from(decode(closeFrame));
        return FrameCodec.encodeReply(Reply.ok(Op.CLOSE, Fields.builder()
                .putU32(Field.DECISION, Decision.REVOKED.code())
                .putI32(Field.KEYRING_SERIAL, req.joinedSerial().orElse(0))
                .build()));
    }
}
