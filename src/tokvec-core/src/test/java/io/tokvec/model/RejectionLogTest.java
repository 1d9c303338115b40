package io.tokvec.model;

import io.tokvec.model.TableRejectedException.Reason;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** Every rejection is counted (in total and by reason), kept among the last 20, and heard by listeners. */
class RejectionLogTest {

    @Test
    void shouldCountEveryRejectionAndKeepTheLastTwentyEvenInAFlood() {
        AtomicLong now = new AtomicLong(1_000);
        RejectionLog log = new RejectionLog("t", now::get);
        List<RejectionLog.Rejection> heard = new ArrayList<>();
        log.onRejection(heard::add);
        int flood = 3 * RejectionLog.LOG_PER_MINUTE;
        for (int i = 0; i < flood; i++) {
            now.incrementAndGet();
            log.reject(i, new TableRejectedException(i % 3 == 0 ? Reason.BAD_CHUNK : Reason.BAD_RECORD, "record " + i), 1);
        }
        assertThat(log.total()).isEqualTo(flood);
        assertThat(log.count(Reason.BAD_CHUNK)).isEqualTo(flood / 3);
        assertThat(log.byReason()).isEqualTo(Map.of(Reason.BAD_CHUNK, (long) flood / 3, Reason.BAD_RECORD, (long) flood * 2 / 3));
        assertThat(log.recent()).hasSize(RejectionLog.RECENT);
        assertThat(log.recent().get(0).message()).isEqualTo("record " + (flood - RejectionLog.RECENT));
        assertThat(log.recent().get(RejectionLog.RECENT - 1)).satisfies(r -> {
            assertThat(r.version()).isEqualTo(flood - 1);
            assertThat(r.table()).isEqualTo("t");
            assertThat(r.timeMs()).isEqualTo(1_000 + flood);
        });
        assertThat(heard).hasSize(flood);
    }
}
