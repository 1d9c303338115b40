package io.tokvec.tables;

import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.TableDtype;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The converted table formats (GloVe, word2vec text and binary, shards, big-endian / column-major
 * {@code .npy}) are built off the heap in a temporary mapped file: here with tiny segments, so that
 * rows cross many segment boundaries, every row is checked against the values the test wrote; the
 * temporary file is unlinked at once and its mapping goes when the table is retired or the load fails.
 */
class OffHeapWordTablesTest {

    private static final int DIM = 5;
    private static final int WORDS = 97;

    @TempDir
    Path dir;
    @TempDir
    Path scratch;

    @BeforeEach
    void smallSegments() {
        ScratchRows.segmentBytes = 3L * DIM * Float.BYTES; // 2 rows (the power of two that fits) per segment
        ScratchRows.dirOverride = scratch;
    }

    @AfterEach
    void defaults() {
        ScratchRows.segmentBytes = io.tokvec.core.TableSegments.DEFAULT_SEGMENT_BYTES;
        ScratchRows.dirOverride = null;
    }

    /** Value {@code k} of file word {@code w}: a function of both only. */
    private static float value(int w, int k) {
        return (float) (new SplittableRandom(1000L * w + k).nextDouble() * 8 - 4);
    }

    private static String word(int w) {
        return w % 7 == 0 ? "wörd" + w : "w" + w;
    }

    @Test
    void shouldBuildGloveOffHeapAcrossSegmentsWhenTheFileHasBlankLines() throws IOException {
        StringBuilder text = new StringBuilder();
        List<String> decimals = new ArrayList<>();
        for (int w = 0; w < WORDS; w++) {
            if (w % 10 == 3) text.append("\n"); // fewer words than lines: the storage is trimmed to the words
            text.append(word(w));
            for (int k = 0; k < DIM; k++) {
                String d = String.format(Locale.ROOT, "%.7f", value(w, k));
                decimals.add(d);
                text.append(' ').append(d);
            }
            text.append(w % 5 == 0 ? " \r\n" : "\n");
        }
        Path f = dir.resolve("glove.txt");
        Files.writeString(f, text, StandardCharsets.UTF_8);

        EmbeddingTable t = TableFiles.load(f, TableFormat.GLOVE, null, "g", 1);

        assertThat(t.rows()).isEqualTo(WORDS + 2);
        assertOffHeapAcrossSegments(t);
        for (int w = 0; w < WORDS; w++) {
            assertThat(t.vocabulary().tokens().get(w + 2)).isEqualTo(word(w));
            for (int k = 0; k < DIM; k++) {
                float numpy = (float) Double.parseDouble(decimals.get(w * DIM + k)); // np.float32(text)
                assertThat(t.get(w + 2, k)).as("word %d value %d", w, k).isEqualTo(numpy);
            }
        }
        assertReservedRowsZero(t);
        assertReleasedWhenRetired(t);
    }

    @Test
    void shouldBuildWord2VecBinaryOffHeapWithEveryRowsBitsAcrossSegments() throws IOException {
        Path f = dir.resolve("vectors.bin");
        byte[][] rows = writeBinary(f, WORDS);

        EmbeddingTable t = TableFiles.load(f, TableFormat.WORD2VEC, null, "w", 1);

        assertThat(t.rows()).isEqualTo(WORDS + 2);
        assertOffHeapAcrossSegments(t);
        byte[] out = new byte[DIM * Float.BYTES];
        for (int w = 0; w < WORDS; w++) {
            assertThat(t.vocabulary().tokens().get(w + 2)).isEqualTo(word(w));
            t.copyRow(w + 2, TableDtype.FLOAT32, out, 0);
            assertThat(out).as("row of word %d", w).isEqualTo(rows[w]);
        }
        assertReservedRowsZero(t);
        assertReleasedWhenRetired(t);
    }

    @Test
    void shouldBuildWord2VecTextOffHeapAcrossSegments() throws IOException {
        StringBuilder text = new StringBuilder(WORDS + " " + DIM + "\n");
        for (int w = 0; w < WORDS; w++) {
            text.append(word(w));
            for (int k = 0; k < DIM; k++) text.append(' ').append(value(w, k)); // Float.toString: exact round trip
            text.append('\n');
        }
        Path f = dir.resolve("vectors.txt");
        Files.writeString(f, text, StandardCharsets.UTF_8);

        EmbeddingTable t = Word2VecReader.read(f, "w", 1);

        assertOffHeapAcrossSegments(t);
        for (int w = 0; w < WORDS; w++) {
            for (int k = 0; k < DIM; k++) {
                assertThat(t.get(w + 2, k)).as("word %d value %d", w, k).isEqualTo(value(w, k));
            }
        }
        assertReleasedWhenRetired(t);
    }

    @Test
    void shouldFreeTheStorageWhenAFileFailsToLoad() throws IOException {
        Path truncated = dir.resolve("truncated.bin");
        writeBinary(truncated, WORDS);
        byte[] all = Files.readAllBytes(truncated);
        Files.write(truncated, java.util.Arrays.copyOf(all, all.length - 7));
        assertThatThrownBy(() -> TableFiles.load(truncated, TableFormat.WORD2VEC, null, "w", 1))
                .isInstanceOf(TableFormatException.class)
                .hasMessageContaining("word " + WORDS + " (byte ").hasMessageContaining("unexpected end of file");
        assertNoScratchLeft();

        Path duplicate = dir.resolve("dup.txt");
        Files.writeString(duplicate, "a 1 2\nb 3 4\na 5 6\n");
        assertThatThrownBy(() -> GloveReader.read(duplicate, "g", 1))
                .hasMessage(duplicate + ": line 3: the word 'a' appears twice (first at line 1)");
        assertNoScratchLeft();

        Path bigEndianNan = dir.resolve("nan-be.npy");
        Files.write(bigEndianNan, npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 1), }", be(1f, Float.NaN)));
        assertThatThrownBy(() -> TableFiles.load(bigEndianNan, TableFormat.NPY, null, "n", 1))
                .hasMessage(bigEndianNan + ": row 1, column 0: value NaN is not a finite float32");
        assertNoScratchLeft();
    }

    @Test
    void shouldHoldMoreThanTheHeapArrayLimitAndSayWhenTheDiskCannot() {
        // what used to be refused at 2 GiB is now sized by the disk of java.io.tmpdir: far beyond it, a clear refusal
        Path f = dir.resolve("huge.bin");
        assertThatThrownBy(() -> ScratchRows.allocate(f, "2000000002 rows x 300000 float32", 2_000_000_002L, 1_200_000))
                .isInstanceOf(TableFormatException.class)
                .hasMessageStartingWith(f + ": 2000000002 rows x 300000 float32 need 2400000002400000 bytes off the heap, "
                        + "in a temporary file in " + scratch + ", but only ")
                .hasMessageContaining("set -Djava.io.tmpdir=DIR");
    }

    @Test
    void shouldAssembleShardsOffHeapAcrossSegmentsForEitherStrategy() throws IOException {
        int rows = 37;
        float[] whole = new float[rows * DIM];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < DIM; k++) whole[r * DIM + k] = value(r, k);
        }
        for (ShardedTables.Strategy strategy : ShardedTables.Strategy.values()) {
            int n = 4;
            List<Path> files = new ArrayList<>();
            int next = 0;
            for (int p = 0; p < n; p++) {
                int shardRows = (int) ShardedTables.shardRows(rows, n, p);
                float[] shard = new float[shardRows * DIM];
                for (int r = 0; r < shardRows; r++) {
                    int g = strategy == ShardedTables.Strategy.MOD ? r * n + p : next + r; // W[p::n] or np.array_split
                    System.arraycopy(whole, g * DIM, shard, r * DIM, DIM);
                }
                next += shardRows;
                Path f = dir.resolve(strategy + "-" + p + ".npy");
                NpyWriter.write(f, shardRows, DIM, le(shard));
                files.add(f);
            }
            EmbeddingTable t = TableFiles.loadShards(files, strategy, null, "s", 1, false);
            assertThat(t.rows()).isEqualTo(rows);
            assertOffHeapAcrossSegments(t);
            for (int g = 0; g < rows; g++) {
                for (int k = 0; k < DIM; k++) {
                    assertThat(t.get(g, k)).as("%s row %d col %d", strategy, g, k).isEqualTo(whole[g * DIM + k]);
                }
            }
            assertReleasedWhenRetired(t);
        }
    }

    @Test
    void shouldConvertBigEndianAndFortranOrderNpyOffHeapAsTheHeapReaderDoes() throws IOException {
        int rows = 23;
        float[] rowMajor = new float[rows * DIM];
        float[] colMajor = new float[rows * DIM];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < DIM; k++) {
                rowMajor[r * DIM + k] = value(r, k);
                colMajor[k * rows + r] = value(r, k);
            }
        }
        String shape = "'shape': (" + rows + ", " + DIM + "), }";
        Path[] files = {
            write("be.npy", npyBytes("{'descr': '>f4', 'fortran_order': False, " + shape, be(rowMajor))),
            write("f.npy", npyBytes("{'descr': '<f4', 'fortran_order': True, " + shape, le(colMajor))),
            write("bef.npy", npyBytes("{'descr': '>f4', 'fortran_order': True, " + shape, be(colMajor))),
        };
        for (Path f : files) {
            EmbeddingTable t = TableFiles.load(f, TableFormat.NPY, null, "n", 1);
            assertOffHeapAcrossSegments(t);
            assertThat(t.data()).as("%s", f.getFileName()).isEqualTo(NpyReader.read(f).data()).isEqualTo(le(rowMajor));
            assertReleasedWhenRetired(t);
        }
    }

    // ---- helpers ----

    private void assertOffHeapAcrossSegments(EmbeddingTable t) throws IOException {
        assertThat(t.segments().offHeap()).as("off-heap").isTrue();
        assertThat(t.segments().count()).as("segments of 2 rows").isEqualTo((t.rows() + 1) / 2);
        assertThat(scratchFiles()).as("the temporary file is unlinked once mapped").isEmpty();
        assertThat(mappingsOfScratch()).as("mapped while the table lives").isNotEmpty();
    }

    private static void assertReservedRowsZero(EmbeddingTable t) {
        for (int k = 0; k < DIM; k++) {
            assertThat(t.get(0, k)).isZero();
            assertThat(t.get(1, k)).isZero();
        }
        assertThat(t.vocabulary().tokens().subList(0, 2)).containsExactly("", "[UNK]");
    }

    private void assertReleasedWhenRetired(EmbeddingTable t) throws IOException {
        t.retire();
        assertThat(t.freed()).isTrue();
        assertNoScratchLeft();
    }

    private void assertNoScratchLeft() throws IOException {
        assertThat(scratchFiles()).as("temporary files").isEmpty();
        assertThat(mappingsOfScratch()).as("mappings of temporary files (/proc/self/maps)").isEmpty();
    }

    private List<Path> scratchFiles() throws IOException {
        try (Stream<Path> s = Files.list(scratch)) {
            return s.toList();
        }
    }

    /** Lines of /proc/self/maps naming a file of the scratch directory (empty where there is no /proc). */
    private List<String> mappingsOfScratch() throws IOException {
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) {
            return List.of();
        }
        String prefix = scratch.toRealPath() + "/";
        return Files.readAllLines(maps).stream().filter(l -> l.contains(prefix)).toList();
    }

    /** A word2vec binary file of {@code words} words of {@link #value}s (newline after every other vector); returns each row's bytes. */
    private static byte[][] writeBinary(Path f, int words) throws IOException {
        byte[][] rows = new byte[words][];
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(f))) {
            out.write((words + " " + DIM + "\n").getBytes(StandardCharsets.US_ASCII));
            for (int w = 0; w < words; w++) {
                out.write((word(w) + " ").getBytes(StandardCharsets.UTF_8));
                float[] v = new float[DIM];
                for (int k = 0; k < DIM; k++) v[k] = value(w, k);
                rows[w] = le(v);
                out.write(rows[w]);
                if (w % 2 == 0) out.write('\n');
            }
        }
        return rows;
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    /** A version 1.0 .npy file: magic, header padded to 64 bytes with spaces and '\n', then the data. */
    private static byte[] npyBytes(String dict, byte[] data) {
        int len = 10 + dict.length() + 1;
        int pad = (64 - len % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.ISO_8859_1)).put(data);
        return b.array();
    }

    private static byte[] le(float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        return b.array();
    }

    private static byte[] be(float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.BIG_ENDIAN);
        for (float x : v) b.putFloat(x);
        return b.array();
    }
}
