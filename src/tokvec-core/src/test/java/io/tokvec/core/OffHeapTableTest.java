package io.tokvec.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Segmented off-heap storage: gathers across segments, dtypes, reference-counted freeing, budgets. */
class OffHeapTableTest {

    @TempDir
    Path dir;

    private static float value(int row, int col) {
        return row * 10.3f + col * 0.017f - 5;
    }

    /** A table of {@code rows x dim} {@link #value}s written into freshly allocated segments. */
    private static EmbeddingTable table(TableMemory memory, String name, int rows, int dim, TableDtype dtype) throws Exception {
        TableSegments segs = memory.allocate(name, rows, dim * dtype.bytes());
        for (int r = 0; r < rows; r++) {
            ByteBuffer seg = segs.segmentOf(r);
            int at = segs.offsetOf(r);
            for (int k = 0; k < dim; k++) {
                float v = value(r, k);
                switch (dtype) {
                    case FLOAT32 -> seg.putFloat(at + 4 * k, v);
                    case FLOAT16 -> seg.putShort(at + 2 * k, Half.floatToHalf(v));
                    case BFLOAT16 -> seg.putShort(at + 2 * k, Half.floatToBfloat16(v));
                }
            }
        }
        return new EmbeddingTable("t", 1, rows, dim, dtype, segs, null);
    }

    @Test
    void shouldGatherEveryRowExactlyWhenTheTableSpansManySegments() throws Exception {
        // 3 rows of 12 bytes per 40-byte segment: 2 rows per segment (a power of two), 50 segments
        EmbeddingTable t = table(new DirectTableMemory(1 << 20, 40), "t", 99, 3, TableDtype.FLOAT32);
        assertThat(t.segments().count()).isEqualTo(50);
        assertThat(t.segments().offHeap()).isTrue();
        byte[] out = new byte[12];
        for (int r = 0; r < 99; r++) {
            t.copyRow(r, TableDtype.FLOAT32, out, 0);
            ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
            for (int k = 0; k < 3; k++) {
                assertThat(b.getFloat(4 * k)).as("row %d col %d", r, k).isEqualTo(value(r, k));
                assertThat(t.get(r, k)).isEqualTo(value(r, k));
            }
        }
    }

    @Test
    void shouldServeTheExactFloat32OfTheStoredHalfWhenStoredAsFloat16OrBfloat16() throws Exception {
        for (TableDtype dtype : new TableDtype[] {TableDtype.FLOAT16, TableDtype.BFLOAT16}) {
            EmbeddingTable t = table(new DirectTableMemory(1 << 20, 64), "t", 20, 5, dtype);
            assertThat(t.sizeBytes()).isEqualTo(20 * 5 * 2);
            float[] row = new float[5];
            byte[] f32 = new byte[20];
            byte[] f16 = new byte[10];
            for (int r = 0; r < 20; r++) {
                t.readRow(r, row, 0);
                t.copyRow(r, TableDtype.FLOAT32, f32, 0);
                t.copyRow(r, TableDtype.FLOAT16, f16, 0);
                for (int k = 0; k < 5; k++) {
                    float stored = dtype == TableDtype.FLOAT16 ? Half.halfToFloat(Half.floatToHalf(value(r, k)))
                            : Half.bfloat16ToFloat(Half.floatToBfloat16(value(r, k)));
                    assertThat(row[k]).as("%s row %d col %d", dtype, r, k).isEqualTo(stored);
                    assertThat(EmbeddingTable.floatAt(f32, k)).isEqualTo(stored);
                    assertThat(EmbeddingTable.halfAt(f16, k)).isEqualTo(Half.halfToFloat(Half.floatToHalf(stored)));
                }
            }
        }
    }

    @Test
    void shouldFreeARetiredTableOnlyWhenItsLastReaderReleasesIt() throws Exception {
        DirectTableMemory memory = new DirectTableMemory(1 << 20);
        EmbeddingTable t = table(memory, "t", 10, 4, TableDtype.FLOAT32);
        assertThat(memory.usedBytes()).isEqualTo(160);
        assertThat(t.retain()).isTrue();
        t.retire();
        assertThat(t.freed()).as("freed while a reader holds it").isFalse();
        assertThat(t.get(9, 3)).isEqualTo(value(9, 3));
        t.release();
        assertThat(t.freed()).isTrue();
        assertThat(memory.usedBytes()).isZero();
        assertThat(t.retain()).as("a freed table cannot be acquired").isFalse();
        t.retire(); // idempotent
        assertThat(memory.usedBytes()).isZero();
    }

    @Test
    void shouldRefuseAnAllocationOverTheBudgetAndGiveTheBytesBackWhenFreed() throws Exception {
        DirectTableMemory memory = new DirectTableMemory(1000);
        EmbeddingTable first = table(memory, "a", 10, 20, TableDtype.FLOAT32); // 800 bytes
        assertThatThrownBy(() -> memory.allocate("b", 10, 80))
                .isInstanceOf(TableMemory.TableMemoryException.class)
                .hasMessageContaining("b needs 800 bytes but 800 of the 1000 bytes");
        first.retire();
        assertThat(memory.allocate("b", 10, 80).bytes()).isEqualTo(800);
    }

    @Test
    void shouldDeleteTheMappedFileWhenFreedUnlessAskedToKeepIt() throws Exception {
        MappedTableMemory memory = new MappedTableMemory(dir, 1 << 20, 64);
        EmbeddingTable a = table(memory, "a.float32", 30, 4, TableDtype.FLOAT32);
        EmbeddingTable b = table(memory, "b.float32", 30, 4, TableDtype.FLOAT32);
        assertThat(dir.resolve("a.float32")).hasSize(480);
        a.retire();
        assertThat(dir.resolve("a.float32")).doesNotExist();
        b.retireKeepingSnapshot();
        assertThat(memory.usedBytes()).isZero();
        assertThat(dir.resolve("b.float32")).exists();

        TableSegments reopened = memory.open("b.float32", 30, 16);
        EmbeddingTable again = new EmbeddingTable("t", 1, 30, 4, TableDtype.FLOAT32, reopened, null);
        assertThat(again.get(29, 3)).isEqualTo(value(29, 3));
        assertThat(memory.open("b.float32", 31, 16)).as("a file of another size").isNull();
        again.retire();
        assertThat(Files.exists(dir.resolve("b.float32"))).isFalse();
    }

    @Test
    void shouldRefuseAMappedTableWhenTheDiskCannotHoldIt() {
        MappedTableMemory memory = new MappedTableMemory(dir, Long.MAX_VALUE);
        assertThatThrownBy(() -> memory.allocate("huge", Integer.MAX_VALUE, 1 << 20))
                .isInstanceOf(TableMemory.TableMemoryException.class)
                .hasMessageContaining("bytes of disk");
        assertThat(dir.resolve("huge")).doesNotExist();
        assertThat(memory.usedBytes()).isZero();
    }
}
