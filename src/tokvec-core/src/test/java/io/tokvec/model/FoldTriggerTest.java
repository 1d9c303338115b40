package io.tokvec.model;

import io.tokvec.avro.TableCommit;
import io.tokvec.avro.TableDeltaCommit;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.RowOverlay;
import io.tokvec.testutil.InMemoryModelStore;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * When the registry folds a chain of deltas ({@code tokvec.delta.fold.overlay.ratio},
 * {@code tokvec.delta.max.chain}): not while the overlay is small and the chain short, once the
 * overlay (rows replaced again by later deltas included) passes the ratio of the table, or once the
 * chain passes its length, however small; and the folded table serves exactly the rows of a dense
 * table this test computes on its own, by writing every delta's rows over a copy of the base in order.
 * Folds are queued and run when the test says, so nothing here depends on timing.
 */
class FoldTriggerTest {

    private static final String T = "t";
    private static final int ROWS = 1000;
    private static final int DIM = 64; // 256-byte rows: the table is 256,000 bytes, a tenth of it 100 rows
    private static final int CHUNK_BYTES = 4096;

    private final InMemoryModelStore store = new InMemoryModelStore();
    private final Deque<Runnable> folds = new ArrayDeque<>();
    private final Random random = new Random(42);
    private final float[] expected = new float[ROWS * DIM]; // the dense table of the newest version, computed here
    private TableRegistry registry;
    private long offset;
    private long version;
    private String contentId;

    private void start(int maxChain, double ratio) {
        registry = new TableRegistry(T, -1, 2, Long.MAX_VALUE, false, ModelRecords.DECODER)
                .foldChainsLongerThan(maxChain).foldOverlaysLargerThan(ratio).foldWith(folds::add);
        for (int i = 0; i < expected.length; i++) expected[i] = random.nextFloat() * 2 - 1;
        version = 1;
        List<ModelChunker.Keyed> full = ModelRecords.records(EmbeddingTable.fromFloats(T, 1, ROWS, DIM, expected, null), 1 << 16);
        send(full);
        contentId = ContentIds.of((TableCommit) full.get(full.size() - 1).record().getBody());
        assertThat(registry.activeVersion()).isEqualTo(1);
    }

    private void send(List<ModelChunker.Keyed> records) {
        for (ModelChunker.Keyed r : records) {
            registry.onRecord(store, r.key().topicKey(), ModelRecords.encode(r.record()), offset++);
        }
    }

    /** Publishes the next version, a delta over the newest one replacing {@code ids} with fresh random rows. */
    private void publishDelta(int[] ids) {
        float[][] rows = new float[ids.length][DIM];
        for (float[] row : rows) {
            for (int k = 0; k < DIM; k++) row[k] = random.nextFloat() * 2 - 1;
        }
        List<ModelChunker.Keyed> records = new DeltaChunker(T, version + 1, new DeltaChunker.Base(version, ROWS, DIM, contentId, false),
                ids, (i, dst, off) -> {
                    for (int k = 0; k < DIM; k++) EmbeddingTable.putFloat(dst, off / Float.BYTES + k, rows[i][k]);
                }, null, CHUNK_BYTES).chunksAndCommit();
        send(records);
        version++;
        contentId = ((TableDeltaCommit) records.get(records.size() - 1).record().getBody()).getContentId();
        for (int i = 0; i < ids.length; i++) {
            System.arraycopy(rows[i], 0, expected, ids[i] * DIM, DIM);
        }
        assertThat(registry.activeVersion()).isEqualTo(version);
    }

    private static int[] range(int from, int count) {
        return IntStream.range(from, from + count).toArray();
    }

    /** Every value of the active version is, bit for bit, the dense table computed here. */
    private void assertServesExpected() {
        try (TableLease lease = registry.acquire()) {
            EmbeddingTable t = lease.table();
            assertThat(t.version()).isEqualTo(version);
            assertThat(t.rows()).isEqualTo(ROWS);
            float[] row = new float[DIM];
            for (int r = 0; r < ROWS; r++) {
                t.readRow(r, row, 0);
                for (int k = 0; k < DIM; k++) {
                    assertThat(Float.floatToRawIntBits(row[k])).as("v%d row %d col %d", version, r, k)
                            .isEqualTo(Float.floatToRawIntBits(expected[r * DIM + k]));
                }
            }
        }
    }

    private RowOverlay overlay() {
        try (TableLease lease = registry.acquire()) {
            return lease.table().overlay();
        }
    }

    /** Runs the queued fold; the active version is then dense, still the same version. */
    private void runFold() {
        long sequence = registry.activation().sequence();
        assertThat(folds).hasSize(1);
        folds.poll().run();
        assertThat(registry.foldCount()).isEqualTo(1);
        assertThat(registry.activation().sequence()).as("the same decision: outputs keep naming it").isEqualTo(sequence);
        try (TableLease lease = registry.acquire()) {
            assertThat(lease.table().overlay()).isNull();
            assertThat(lease.table().rootVersion()).isEqualTo(version);
        }
    }

    @Test
    void shouldNotFoldAChainWhoseOverlayStaysBelowTheRatio() {
        start(256, 0.1);
        for (int d = 0; d < 4; d++) {
            publishDelta(range(d * 20, 20)); // 80 rows of 1000 in all, with their index below a tenth of the table
        }
        assertThat(folds).isEmpty();
        assertThat(registry.foldCount()).isZero();
        assertThat(overlay().layers()).hasSize(4);
        assertThat(overlay().changedRows()).isEqualTo(80);
        assertServesExpected();
    }

    @Test
    void shouldFoldOnceTheOverlayPassesTheRatioIntoExactlyTheRowsOfTheChain() {
        start(256, 0.1);
        for (int d = 0; d < 5; d++) {
            assertThat(folds).as("no fold before delta %d", d).isEmpty();
            publishDelta(range(d * 10, 20)); // each overlaps the last: the newest row wins
        }
        // 100 rows of deltas (a tenth of the table) and their index, 60 of them distinct
        assertThat(overlay().changedRows()).isEqualTo(60);
        assertServesExpected();
        runFold();
        assertServesExpected();
    }

    @Test
    void shouldCountRowsThatLaterDeltasReplacedAgainTowardsTheRatio() {
        start(256, 0.1);
        int[] hot = {3, 99, 500, 501, 998};
        int published = 0;
        while (folds.isEmpty()) {
            publishDelta(hot);
            published++;
            assertThat(published).as("deltas before a fold").isLessThan(100);
        }
        // the same 5 rows every time: the overlay changes 5 rows but holds every delta's copy of them
        assertThat(overlay().changedRows()).isEqualTo(5);
        assertThat(hot.length * DIM * Float.BYTES).as("the changed rows alone").isLessThan((int) (0.01 * ROWS * DIM * Float.BYTES));
        assertThat(overlay().bytes()).isGreaterThan((long) (0.1 * ROWS * DIM * Float.BYTES));
        runFold();
        assertServesExpected();
    }

    @Test
    void shouldFoldAChainLongerThanMaxChainHoweverSmallItsDeltas() {
        start(3, 1.0);
        for (int d = 1; d <= 3; d++) {
            publishDelta(new int[] {d * 7});
        }
        assertThat(folds).isEmpty();
        assertThat(overlay().layers()).hasSize(3);
        publishDelta(new int[] {7}); // a fourth delta over the root: longer than 3
        assertServesExpected();
        runFold();
        assertServesExpected();
    }

    @Test
    void shouldFoldAfterEveryDeltaWithARatioOfZero() {
        start(256, 0);
        publishDelta(new int[] {1});
        runFold();
        assertServesExpected();
    }

    @Test
    void shouldRefuseANegativeRatio() {
        TableRegistry r = new TableRegistry(T, -1, 2, Long.MAX_VALUE, false, ModelRecords.DECODER);
        assertThatThrownBy(() -> r.foldOverlaysLargerThan(-0.1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-0.1");
        assertThatThrownBy(() -> r.foldOverlaysLargerThan(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }
}
