package org.keyinitd.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ReportGateTest {

    @Test
    void letsTheFirstCallThroughThenOnePerInterval() {
        AtomicLong now = new AtomicLong(-5_000); // nanoTime may be negative
        ReportGate gate = new ReportGate(10_000, now::get);

        assertThat(gate.tryPass()).isTrue();
        assertThat(gate.tryPass()).isFalse();
        now.addAndGet(9_999);
        assertThat(gate.tryPass()).isFalse();
        now.addAndGet(1);
        assertThat(gate.tryPass()).isTrue();
        assertThat(gate.tryPass()).isFalse();
        now.addAndGet(1_000_000);
        assertThat(gate.tryPass()).isTrue();
    }
}
