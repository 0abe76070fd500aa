package org.keyinitd.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RequestBudgetTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final RequestBudget budget = new RequestBudget(now::get);

    @Test
    void oneUidGetsItsBurstThenOneTokenPerRefillAndTheRestIsSummarized() {
        int admitted = 0;
        for (int i = 0; i < 1000; i++) {
            admitted += budget.admit(1001) ? 1 : 0;
        }
        assertThat(admitted).isEqualTo(RequestBudget.PER_UID_BURST);
        now.addAndGet(RequestBudget.REFILL_NANOS);
        assertThat(budget.admit(1001)).isTrue();
        assertThat(budget.admit(1001)).isFalse();
        RequestBudget.Summary s = budget.drain().orElseThrow();
        assertThat(s.uids()).containsExactly(new RequestBudget.Limited(1001, 1000 - RequestBudget.PER_UID_BURST + 1));
        assertThat(budget.drain()).isEmpty();
    }

    @Test
    void manyUidsTogetherGetNoMoreThanTheGlobalBurstAndRootNeverPays() {
        int admitted = 0;
        for (long uid = 2000; uid < 2100; uid++) {
            for (int i = 0; i < 50; i++) {
                admitted += budget.admit(uid) ? 1 : 0;
            }
        }
        assertThat(admitted).isEqualTo(RequestBudget.GLOBAL_BURST);
        for (int i = 0; i < 10_000; i++) {
            assertThat(budget.admit(0)).isTrue();
        }
        RequestBudget.Summary s = budget.drain().orElseThrow();
        assertThat(s.uids()).hasSize(RequestBudget.SUMMARY_UIDS);
        assertThat(s.otherUids()).isEqualTo(90);
        assertThat(s.total()).isEqualTo(100L * 50 - RequestBudget.GLOBAL_BURST);
    }
}
