package org.keyinitd.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The fallback record as the daemon reads it from the spool (docs/protocol.md, "Fallback records"). */
class FallbackRecordTest {
    private static final OpenRequest OPEN = new OpenRequest("sshd", "alice", 1001, 1001, Optional.of("ssh"),
            Optional.of("192.0.2.7"), Optional.empty(), new ModuleFlags(true, true, false), CallerKeyring.FRESH,
            OptionalLong.empty());
    private static final FallbackRecord RECORD = new FallbackRecord(OPEN, 123456, 4242, 987654321L,
            Instant.ofEpochMilli(1_796_000_000_123L), "socket /run/keyinitd/keyinitd.sock: No such file or directory");

    @Test
    void aRecordReadsBackAsWritten() throws Exception {
        assertThat(FallbackRecord.decode(RECORD.encode())).isEqualTo(RECORD);
    }

    @Test
    void aRequestFrameIsNotARecord() {
        byte[] open = FrameCodec.encodeRequest(Op.OPEN.code(), OPEN.toFields());
        assertThatThrownBy(() -> FallbackRecord.decode(open)).hasMessageContaining("not a fallback record");
    }

    @Test
    void aRecordWithADeadlineIsRefused() {
        FallbackRecord withDeadline = new FallbackRecord(new OpenRequest("sshd", "alice", 1001, 1001, Optional.empty(),
                Optional.empty(), Optional.empty(), new ModuleFlags(false, true, false), CallerKeyring.NONE,
                OptionalLong.of(5)), 1, 2, 3, Instant.EPOCH, "r");
        assertThatThrownBy(() -> FallbackRecord.decode(withDeadline.encode())).hasMessageContaining("DEADLINE");
    }

    @Test
    void aCutRecordIsRefused() {
        byte[] whole = RECORD.encode();
        assertThatThrownBy(() -> FallbackRecord.decode(Arrays.copyOf(whole, whole.length - 3)))
                .isInstanceOf(ProtocolException.class);
    }

    @Test
    void aRecordWithoutItsProcessIsRefused() {
        Fields.Builder b = Fields.builder();
        OPEN.toFields().asMap().forEach((f, v) -> {
            if (v instanceof String str) {
                b.put(f, str);
            } else if (v instanceof Boolean bool) {
                b.put(f, bool);
            } else {
                b.putU32(f, (Long) v);
            }
        });
        byte[] noPid = FrameCodec.encodeRequest(FallbackRecord.OP, b.putI32(Field.KEYRING_SERIAL, 7)
                .putU64(Field.PID_START, 1).putU64(Field.MADE_AT, 1).build());
        assertThatThrownBy(() -> FallbackRecord.decode(noPid)).hasMessageContaining("PID");
    }
}
