package io.tokvec.it;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
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
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * A word2vec binary file larger than 2 GiB (2,300,000 words x 256 float32 = 2.36 GB of vectors,
 * generated from a seed and streamed to disk row by row) is loaded by {@code tokvec.jar enrich} in a
 * child JVM whose heap ({@code -Xmx128m}: the words' text and index fit it) is far smaller than the
 * table: the loader builds the table off the heap, in a temporary mapped file under the child's {@code java.io.tmpdir}. Events of words
 * spread over the whole table (both sides of every 1 GiB segment boundary, the first and last words,
 * an OOV word) come out with exactly the file's vectors. The temporary file is gone once the child
 * has exited; the word2vec file is deleted at the end.
 */
@Tag(ItTags.LARGE)
class LargeWord2VecIT {

    /** Words and dim can be changed for a one-off measurement, e.g. {@code -Dtokvec.it.w2v.words=3000000 -Dtokvec.it.w2v.dim=300}. */
    private static final int WORDS = Integer.getInteger("tokvec.it.w2v.words", 2_300_000);
    private static final int DIM = Integer.getInteger("tokvec.it.w2v.dim", 256);
    private static final String HEAP = System.getProperty("tokvec.it.w2v.heap", "128m");
    private static final long SEED = 20261202L;
    private static final long BYTES = (long) WORDS * DIM * Float.BYTES;
    private static final int MAX_LEN = 8;

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 900, unit = TimeUnit.SECONDS)
    void shouldEnrichExactlyFromAWord2VecBinaryFileLargerThan2GiBWithASmallHeap() throws Exception {
        assertThat(BYTES).isGreaterThan(1L << 31);
        Path jar = ChildProcessApp.jar();
        // the word2vec file and the loader's temporary table, plus room
        assumeThat(Files.getFileStore(tmp).getUsableSpace()).as("free disk for 2 copies of a %d-byte table", BYTES)
                .isGreaterThan(2 * BYTES + (1L << 30));
        Path bin = tmp.resolve("vectors.bin");
        Path loaderTmp = Files.createDirectories(tmp.resolve("java-tmp"));
        try {
            long t0 = System.nanoTime();
            writeBinary(bin);
            System.out.printf("LargeWord2VecIT: wrote %,d words x %d (%.2f GB) in %.1f s%n", WORDS, DIM, Files.size(bin) / 1e9,
                    (System.nanoTime() - t0) / 1e9);

            List<List<Integer>> events = events();
            Path input = tmp.resolve("events.jsonl");
            StringBuilder in = new StringBuilder();
            for (int i = 0; i < events.size(); i++) {
                in.append("{\"id\":\"e").append(i).append("\",\"tokens\":[");
                for (int k = 0; k < events.get(i).size(); k++) {
                    int row = events.get(i).get(k);
                    in.append(k == 0 ? "" : ",").append('"').append(row == 1 ? "not-a-word" : word(row - 2)).append('"');
                }
                in.append("]}\n");
            }
            Files.writeString(input, in);
            Path output = tmp.resolve("enriched.jsonl");
            Path log = tmp.resolve("enrich.log");

            List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + HEAP,
                    "-XX:+UseSerialGC", "-Djava.io.tmpdir=" + loaderTmp, "-jar", jar.toString(), "enrich",
                    "--table", bin.toString(), "--format", "word2vec", "--max-len", String.valueOf(MAX_LEN), "--oov", "unk",
                    "--input", input.toString(), "--output", output.toString());
            long t1 = System.nanoTime();
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(600, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("enrich did not finish within 600 s: " + Files.readString(log));
            }
            double seconds = (System.nanoTime() - t1) / 1e9;
            String logText = Files.readString(log);
            System.out.printf("LargeWord2VecIT: enrich -Xmx%s loaded the %.2f GB table and enriched %d events in %.1f s%n", HEAP,
                    BYTES / 1e9, events.size(), seconds);
            assertThat(p.exitValue()).as("enrich exit value; log:%n%s", logText).isZero();
            assertThat(logText).doesNotContain("OutOfMemoryError");

            List<String> lines = Files.readAllLines(output);
            assertThat(lines).hasSize(events.size());
            for (int i = 0; i < events.size(); i++) {
                assertRows(lines.get(i), events.get(i));
            }
            try (Stream<Path> left = Files.list(loaderTmp)) {
                assertThat(left.toList()).as("temporary files left by the loader").isEmpty();
            }
        } finally {
            Files.deleteIfExists(bin);
        }
    }

    /** The output line holds, for each (pre-padded) position, the row of its word: file word w is row w + 2. */
    private static void assertRows(String line, List<Integer> rows) {
        String ids = between(line, "\"ids\":[", "]");
        String[] idText = ids.split(",");
        assertThat(idText).hasSize(MAX_LEN);
        String[] values = between(line, "\"embeddings\":[", "]").split(",");
        assertThat(values).hasSize(MAX_LEN * DIM);
        int pad = MAX_LEN - rows.size();
        float[] expected = new float[DIM];
        for (int pos = 0; pos < MAX_LEN; pos++) {
            int row = pos < pad ? 0 : rows.get(pos - pad);
            assertThat(Integer.parseInt(idText[pos])).as("id at %d of %s", pos, line.substring(0, 20)).isEqualTo(row);
            if (row >= 2) {
                vector(row - 2, expected);
            } else {
                java.util.Arrays.fill(expected, 0f); // padding and OOV rows
            }
            for (int k = 0; k < DIM; k++) {
                float got = Float.parseFloat(values[pos * DIM + k]);
                assertThat(Float.floatToRawIntBits(got)).as("row %d value %d", row, k).isEqualTo(Float.floatToRawIntBits(expected[k]));
            }
        }
    }

    private static String between(String s, String start, String end) {
        int a = s.indexOf(start);
        assertThat(a).as("%s in %s", start, s.substring(0, Math.min(200, s.length()))).isGreaterThanOrEqualTo(0);
        a += start.length();
        return s.substring(a, s.indexOf(end, a));
    }

    /**
     * Rows of the events: row 0 is padding, 1 the OOV row, file word w row w + 2. A segment holds
     * 2^20 rows of 1 KiB (at dim 256), so rows 2^20 - 1 / 2^20 and 2^21 - 1 / 2^21 sit on both sides
     * of a boundary.
     */
    private static List<List<Integer>> events() {
        int last = WORDS + 1;
        int[] edges = {2, 3, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, (1 << 21) - 1, 1 << 21, last - 1, last, 1};
        List<List<Integer>> events = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            SplittableRandom rnd = new SplittableRandom(SEED + i);
            List<Integer> rows = new ArrayList<>();
            int n = MAX_LEN - (i % 3);
            for (int k = 0; k < n; k++) {
                rows.add(k == 0 ? edges[i % edges.length] : k == 1 ? edges[(i + 5) % edges.length] : 2 + rnd.nextInt(WORDS));
            }
            events.add(rows);
        }
        return events;
    }

    private static String word(int w) {
        return "w" + w;
    }

    /** The vector of file word {@code w}: a function of the seed and the word only. */
    private static void vector(int w, float[] values) {
        SplittableRandom rnd = new SplittableRandom(SEED * 31 + w);
        for (int k = 0; k < values.length; k++) {
            values[k] = (float) (rnd.nextDouble() * 2 - 1);
        }
    }

    /** {@code WORDS DIM\n}, then per word its bytes, a space, DIM little-endian float32 and a newline (as word2vec writes). */
    private static void writeBinary(Path file) throws IOException {
        float[] v = new float[DIM];
        ByteBuffer row = ByteBuffer.allocate(DIM * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            out.write((WORDS + " " + DIM + "\n").getBytes(StandardCharsets.US_ASCII));
            for (int w = 0; w < WORDS; w++) {
                out.write((word(w) + " ").getBytes(StandardCharsets.US_ASCII));
                vector(w, v);
                row.clear();
                for (float x : v) row.putFloat(x);
                out.write(row.array());
                out.write('\n');
            }
        }
    }
}
