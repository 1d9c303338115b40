package io.tokvec.model;

import io.tokvec.core.Ticker;
import io.tokvec.core.DirectTableMemory;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.TableDtype;
import io.tokvec.core.TableSegments;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** The active slot: leases keep a swapped-out version alive until they close; nothing is leased after close. */
class ActiveSlotTest {

    private static final int ROWS = 256;
    private static final int DIM = 16;
    private final DirectTableMemory memory = new DirectTableMemory(Long.MAX_VALUE);

    /** Version {@code v} in direct memory (freed for real when retired): every value is {@code v}. */
    private EmbeddingTable table(long v) throws Exception {
        TableSegments segs = memory.allocate("t-v" + v, ROWS, DIM * Float.BYTES);
        for (int r = 0; r < ROWS; r++) {
            for (int k = 0; k < DIM; k++) segs.segmentOf(r).putFloat(segs.offsetOf(r) + k * 4, v);
        }
        return new EmbeddingTable("t", v, ROWS, DIM, TableDtype.FLOAT32, segs, null);
    }

    @Test
    void shouldKeepASwappedOutVersionUntilItsLastLeaseCloses() throws Exception {
        ActiveSlot slot = new ActiveSlot();
        try (TableLease none = slot.acquire()) {
            assertThat(none.isEmpty()).isTrue();
            assertThat(none.registryClosed()).isFalse();
        }
        EmbeddingTable v1 = table(1);
        slot.swap(new Activation(v1, 10));
        TableLease first = slot.acquire();
        TableLease second = slot.acquire();
        Activation replaced = slot.swap(new Activation(table(2), 20));
        assertThat(replaced.version()).isEqualTo(1);
        assertThat(slot.version()).isEqualTo(2);
        assertThat(first.table().get(ROWS - 1, DIM - 1)).isEqualTo(1f);
        first.close();
        first.close(); // twice: harmless
        assertThat(v1.freed()).isFalse();
        second.close();
        assertThat(v1.freed()).isTrue();
        assertThat(memory.usedBytes()).isEqualTo((long) ROWS * DIM * 4);
    }

    @Test
    void shouldMoveToALaterSequenceAndWakeWhoeverWaitsForIt() throws Exception {
        ActiveSlot slot = new ActiveSlot();
        slot.swap(new Activation(table(1), 10));
        AtomicReference<Activation> seen = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            try {
                seen.set(slot.awaitSequence(15, 60_000, Ticker.SYSTEM));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        waiter.start();
        slot.resequence(15);
        waiter.join(60_000);
        assertThat(seen.get().sequence()).isEqualTo(15);
        slot.resequence(12);
        assertThat(slot.activation().sequence()).as("sequences only grow").isEqualTo(15);
        assertThat(slot.awaitSequence(99, 1, Ticker.SYSTEM).sequence()).as("timed out: the current one").isEqualTo(15);
    }

    @Test
    void shouldLeaseNothingAfterCloseButKeepOpenLeasesValid() throws Exception {
        ActiveSlot slot = new ActiveSlot();
        EmbeddingTable v1 = table(1);
        slot.swap(new Activation(v1, 1));
        TableLease held = slot.acquire();
        slot.close();
        try (TableLease after = slot.acquire()) {
            assertThat(after.isEmpty()).isTrue();
            assertThat(after.registryClosed()).isTrue();
        }
        assertThat(v1.freed()).isFalse();
        assertThat(held.table().get(0, 0)).isEqualTo(1f);
        held.close();
        assertThat(v1.freed()).isTrue();
        EmbeddingTable late = table(2);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> slot.swap(new Activation(late, 2)))
                .isInstanceOf(IllegalStateException.class);
        assertThat(late.freed()).as("a version built after close is freed").isTrue();
    }

    /**
     * Several readers lease and read every value of the active version while another thread swaps
     * versions as fast as it can: every read sees one whole version (all values equal), never a
     * freed one, and every retired version is freed once its readers are done.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldNeverLetAReaderSeeFreedMemoryWhileVersionsAreSwappedUnderIt() throws Exception {
        ActiveSlot slot = new ActiveSlot();
        List<EmbeddingTable> all = new ArrayList<>();
        EmbeddingTable first = table(1);
        all.add(first);
        slot.swap(new Activation(first, 1));
        int readers = 4;
        int swaps = 300;
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong reads = new AtomicLong();
        List<String> problems = new java.util.concurrent.CopyOnWriteArrayList<>();
        CountDownLatch started = new CountDownLatch(readers);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < readers; i++) {
            Thread t = new Thread(() -> {
                started.countDown();
                float[] row = new float[DIM];
                long lastVersion = 0;
                while (!done.get()) {
                    try (TableLease lease = slot.acquire()) {
                        EmbeddingTable table = lease.table();
                        if (table.freed()) problems.add("leased v" + table.version() + " already freed");
                        if (table.version() < lastVersion) problems.add("v" + table.version() + " after v" + lastVersion);
                        lastVersion = table.version();
                        for (int r = 0; r < ROWS; r++) {
                            table.readRow(r, row, 0);
                            for (float f : row) {
                                if (f != table.version()) problems.add("v" + table.version() + " row " + r + " holds " + f);
                            }
                        }
                        if (table.freed()) problems.add("v" + table.version() + " freed while leased");
                        reads.incrementAndGet();
                    }
                }
            }, "reader-" + i);
            threads.add(t);
            t.start();
        }
        started.await();
        for (long v = 2; v <= swaps; v++) {
            EmbeddingTable next = table(v);
            all.add(next);
            slot.swap(new Activation(next, v));
            if (v % 50 == 0) {
                long before = reads.get();
                while (reads.get() < before + readers) Thread.onSpinWait(); // let the readers lease the new ones
            }
        }
        done.set(true);
        for (Thread t : threads) t.join(60_000);
        assertThat(problems).isEmpty();
        assertThat(reads.get()).isGreaterThan(swaps / 50 * readers);
        assertThat(all.subList(0, all.size() - 1)).allMatch(EmbeddingTable::freed);
        assertThat(all.get(all.size() - 1).freed()).isFalse();
        assertThat(memory.usedBytes()).as("only the active version's memory is held").isEqualTo((long) ROWS * DIM * 4);
        slot.close();
    }
}
