package io.tokvec.model;

import io.tokvec.core.EmbeddingTable;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A paced fold ({@code tokvec.delta.fold.max.bytes.per.second}) against a clock that only its sleeps
 * move: the time it lets pass is what the bytes take at the rate, in pauses short enough to notice a
 * cancel, and the table it makes is the same; no wall-clock time is measured.
 */
class DeltaFolderPaceTest {

    private static final int ROWS = 10_000;
    private static final int DIM = 64; // 256-byte rows, 2,560,000 bytes
    private static final long ROW_BYTES = DIM * Float.BYTES;

    /** A clock at 0 that moves only when it is slept on. */
    private static final class FakePacer implements DeltaFolder.Pacer {
        long now;
        int sleeps;
        long longest;

        @Override
        public long nanoTime() { return now; }

        @Override
        public void sleepNanos(long nanos) {
            now += nanos;
            sleeps++;
            longest = Math.max(longest, nanos);
        }
    }

    private final DeltaFolder folder = new DeltaFolder("t", new TableBuilder(Long.MAX_VALUE, false, ModelRecords.DECODER));
    private final FakePacer pacer = new FakePacer();
    private final float[] values = new float[ROWS * DIM];
    private final EmbeddingTable src;

    DeltaFolderPaceTest() {
        Random random = new Random(7);
        for (int i = 0; i < values.length; i++) values[i] = random.nextFloat();
        src = EmbeddingTable.fromFloats("t", 3, ROWS, DIM, values, null);
    }

    private void assertSameRows(EmbeddingTable folded) {
        float[] row = new float[DIM];
        for (int r = 0; r < ROWS; r++) {
            folded.readRow(r, row, 0);
            for (int k = 0; k < DIM; k++) {
                assertThat(Float.floatToRawIntBits(row[k])).as("row %d col %d", r, k).isEqualTo(Float.floatToRawIntBits(values[r * DIM + k]));
            }
        }
    }

    @Test
    void shouldTakeAsLongAsTheBytesTakeAtTheRateWhenPaced() throws Exception {
        long rate = 1_000_000;
        folder.pace(rate, pacer);
        EmbeddingTable folded = folder.fold(src, "sha256:x", () -> false);
        long bytes = ROWS * ROW_BYTES;
        // it waits before each block of rows it copies: for every byte but the last block's
        assertThat(pacer.now).isBetween((bytes - 4096 * ROW_BYTES) * 1_000_000_000L / rate, bytes * 1_000_000_000L / rate);
        assertThat(pacer.longest).isLessThanOrEqualTo(DeltaFolder.MAX_PAUSE_NANOS);
        assertSameRows(folded);
        folded.retire();
    }

    @Test
    void shouldNotWaitWhenNotPaced() throws Exception {
        folder.pace(0, pacer);
        EmbeddingTable folded = folder.fold(src, "sha256:x", () -> false);
        assertThat(pacer.sleeps).isZero();
        assertSameRows(folded);
        folded.retire();
    }

    @Test
    void shouldStopWaitingWhenCancelled() throws Exception {
        folder.pace(1_000, pacer); // 2.5 MB at 1 kB/s: 40 minutes of pauses if it did not look at the flag
        assertThat(folder.fold(src, "sha256:x", () -> pacer.sleeps >= 3)).isNull();
        assertThat(pacer.sleeps).isEqualTo(3);
    }

    @Test
    void shouldRefuseANegativeRate() {
        assertThatThrownBy(() -> folder.pace(-1, pacer)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
    }
}
