package io.tokvec.tables;

import io.tokvec.core.EmbeddingTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * What {@code publish} reads for a delta, from files numpy wrote: id arrays of every integer width and
 * byte order, and the rows that changed between two tables (numpy's own {@code np.nonzero} of the rows
 * whose bytes differ, plus the appended ones).
 */
class DeltaFilesTest {

    private static final Path PYTHON = Path.of("/usr/bin/python3");

    @TempDir
    Path dir;

    private void numpy(String program) throws Exception {
        assumeThat(Files.isExecutable(PYTHON)).as("python3 at " + PYTHON).isTrue();
        Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import numpy as np, os\nos.chdir(" + "'" + dir + "')\n" + program)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assumeThat(out).as("numpy importable").doesNotContain("No module named 'numpy'");
        assertThat(p.exitValue()).as(out).isZero();
    }

    @Test
    void shouldReadIdsOfEveryIntegerWidthAndByteOrderNumpyWrites() throws Exception {
        numpy("""
                ids = [5, 0, 7, 2147483647, 3]
                for d in ['<i4', '<i8', '>i4', '>i8']:
                    np.save('ids' + d[1:] + ('be' if d[0] == '>' else '') + '.npy', np.asarray(ids, d))
                np.save('default.npy', np.array(ids))
                np.save('neg.npy', np.array([-1, 4]))
                np.save('big.npy', np.array([2**31]))
                np.save('floats.npy', np.array([1.0]))
                np.save('matrix.npy', np.zeros((2, 2), 'i4'))
                """);
        for (String f : List.of("idsi4.npy", "idsi8.npy", "idsi4be.npy", "idsi8be.npy", "default.npy")) {
            assertThat(NpyReader.readIds(dir.resolve(f))).as(f).containsExactly(5, 0, 7, Integer.MAX_VALUE, 3);
        }
        assertThat(NpyReader.readIds(dir.resolve("neg.npy"))).containsExactly(-1, 4); // a delta refuses it, naming the id
        assertThatThrownBy(() -> NpyReader.readIds(dir.resolve("big.npy"))).hasMessageContaining("id 2147483648 is beyond");
        assertThatThrownBy(() -> NpyReader.readIds(dir.resolve("floats.npy"))).hasMessageContaining("'<f8' (float64) is not an id array");
        assertThatThrownBy(() -> NpyReader.readIds(dir.resolve("matrix.npy"))).hasMessageContaining("shape (2, 2) is not 1-D");
    }

    @Test
    void shouldFindTheRowsThatDifferBitForBitAndTheAppendedOnes() throws Exception {
        numpy("""
                rng = np.random.default_rng(3)
                old = rng.standard_normal((50, 6)).astype('<f4')
                new = np.concatenate([old, rng.standard_normal((3, 6)).astype('<f4')])
                new[[4, 17, 49], 2] += 1
                new[30, 0] = -0.0 if old[30, 0] == 0.0 else np.nextafter(old[30, 0], np.float32(np.inf))
                new[8] = old[8]                                   # rewritten, same bits: not a change
                np.save('old.npy', old)
                np.save('new.npy', new)
                np.save('old16.npy', old.astype('<f2'))
                np.save('new16.npy', new.astype('<f2'))
                changed = np.nonzero((old.view('<u4') != new[:50].view('<u4')).any(axis=1))[0]
                np.save('expected.npy', np.concatenate([changed, np.arange(50, 53)]))
                """);
        int[] expected = NpyReader.readIds(dir.resolve("expected.npy"));
        assertThat(expected).contains(4, 17, 30, 49, 50, 51, 52).doesNotContain(8);
        EmbeddingTable old = TableFiles.load(dir.resolve("old.npy"), TableFormat.NPY, null, "t", 1);
        EmbeddingTable next = TableFiles.load(dir.resolve("new.npy"), TableFormat.NPY, null, "t", 2);
        assertThat(DeltaFiles.changedRows(old, next)).containsExactly(expected);
        EmbeddingTable old16 = TableFiles.load(dir.resolve("old16.npy"), TableFormat.NPY, null, "t", 1);
        EmbeddingTable new16 = TableFiles.load(dir.resolve("new16.npy"), TableFormat.NPY, null, "t", 2);
        assertThat(DeltaFiles.changedRows(old16, old16)).isEmpty();
        assertThat(DeltaFiles.changedRows(old16, new16)).contains(4, 17, 49, 50, 51, 52);
        assertThatThrownBy(() -> DeltaFiles.changedRows(next, old)).hasMessageContaining("is not the old one");
    }

    @Test
    void shouldReadATokensFileLineByLine() throws Exception {
        Path f = dir.resolve("tokens.txt");
        Files.writeString(f, "kafka\r\nströme\n\n", StandardCharsets.UTF_8);
        assertThat(DeltaFiles.readTokens(f)).containsExactly("kafka", "ströme", "");
        Files.writeString(f, "a\nb", StandardCharsets.UTF_8);
        assertThat(DeltaFiles.readTokens(f)).containsExactly("a", "b");
    }
}
