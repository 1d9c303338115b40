package io.tokvec.cli;

import io.tokvec.core.EmbeddingTable;
import io.tokvec.tables.NpyWriter;
import io.tokvec.testutil.GoldenCases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** publish refuses bad tables before it connects to anything (exit 2, a clear message). */
class PublishCommandTest {

    @TempDir
    Path dir;

    private String[] args(Path file, String... extra) {
        String[] base = {"publish", "-p", "bootstrap.servers=127.0.0.1:1", "-p", "schema.registry.url=mock://PublishCommandTest",
                "--version", "1", "--file", file.toString(), "--format", "npy"};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    private record Result(int exit, String err) {
    }

    private Result publish(String... args) throws IOException {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = EnrichCommandGoldenTest.withStderr(err, () -> Main.execute(args));
        return new Result(exit, err.toString(StandardCharsets.UTF_8));
    }

    /** A hand-made .npy of float64 values (tokvec tables are float32). */
    private Path float64Npy() throws IOException {
        String header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }";
        StringBuilder h = new StringBuilder(header);
        while ((10 + h.length() + 1) % 64 != 0) h.append(' ');
        h.append('\n');
        ByteBuffer b = ByteBuffer.allocate(10 + h.length() + 32).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        b.putShort((short) h.length()).put(h.toString().getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < 4; i++) b.putDouble(i);
        Path p = dir.resolve("f64.npy");
        Files.write(p, b.array());
        return p;
    }

    @Test
    void shouldRefuseATableThatIsNotFloat32() throws IOException {
        Result r = publish(args(float64Npy()));
        assertThat(r.exit).isEqualTo(2);
        assertThat(r.err).contains("publish: cannot load").contains("<f8");
    }

    @Test
    void shouldRefuseAVocabularyWhoseLengthDiffersFromTheRowCount() throws IOException {
        Path npy = dir.resolve("t.npy");
        NpyWriter.write(npy, 3, 2, EmbeddingTable.fromFloats("t", 1, 3, 2, new float[6], null).data());
        Path vocab = dir.resolve("vocab.txt");
        Files.writeString(vocab, "\n[UNK]\n");
        Result r = publish(args(npy, "--vocab", vocab.toString()));
        assertThat(r.exit).isEqualTo(2);
        assertThat(r.err).contains("publish: cannot load").contains("lists 2 tokens but table").contains("has 3 rows");
    }

    @Test
    void shouldRefuseNaNUnlessAllowed() throws IOException {
        Path npy = dir.resolve("nan.npy");
        NpyWriter.write(npy, 2, 2, EmbeddingTable.fromFloats("t", 1, 2, 2, new float[] {0, 0, 1, Float.NaN}, null).data());
        Result r = publish(args(npy));
        assertThat(r.exit).isEqualTo(2);
        assertThat(r.err).contains("row 1, column 1").contains("not a finite float32");
    }

    @Test
    void shouldRequireAVersionAFileAndAFormat() throws IOException {
        Result r = publish("publish", "-p", "bootstrap.servers=127.0.0.1:1", "-p", "schema.registry.url=mock://x");
        assertThat(r.exit).isEqualTo(2);
        assertThat(r.err).contains("--version and either --file with --format or --shards with --partition-strategy "
                + "are required (or --activate N, or --base B for a delta)");
    }

    @Test
    void shouldRequireAPartitionStrategyWithShards() throws IOException {
        Result r = publish("publish", "-p", "bootstrap.servers=127.0.0.1:1", "-p", "schema.registry.url=mock://x",
                "--version", "1", "--shards", dir.resolve("a.npy").toString());
        assertThat(r.exit).isEqualTo(2);
        assertThat(r.err).contains("--shards needs --partition-strategy mod|div");
    }

    @Test
    void shouldRefuseShardsWhoseShapesDoNotFitTheStrategyBeforeConnecting() throws IOException {
        Path a = dir.resolve("a.npy");
        Path b = dir.resolve("b.npy");
        NpyWriter.write(a, 1, 2, EmbeddingTable.fromFloats("t", 1, 1, 2, new float[2], null).data());
        NpyWriter.write(b, 3, 2, EmbeddingTable.fromFloats("t", 1, 3, 2, new float[6], null).data());
        Result r = publish("publish", "-p", "bootstrap.servers=127.0.0.1:1", "-p", "schema.registry.url=mock://x",
                "--version", "1", "--shards", a.toString(), b.toString(), "--partition-strategy", "mod");
        assertThat(r.exit).isEqualTo(2);
        assertThat(r.err).contains("publish: cannot load 2 shards: shard 0 (" + a + ") has 1 rows, but 4 rows in 2 shards "
                + "give shard 0 2 rows");
    }

    @Test
    void shouldLoadShardsInGlobalIdOrderWhenPublishing() throws IOException {
        List<Path> shards = new ArrayList<>();
        for (int p = 0; p < 5; p++) {
            shards.add(GoldenCases.copyResource("shards/doc13-div-5-" + p + ".npy", dir));
        }
        PublishCommand cmd = new PublishCommand();
        new CommandLine(cmd).parseArgs(Stream.concat(Stream.of("--version", "3", "--partition-strategy", "div", "--shards"),
                shards.stream().map(Path::toString)).toArray(String[]::new));
        EmbeddingTable t = cmd.loadTable("emb");
        // doc13 row i = (i, -i), split as np.array_split(W, 5)
        assertThat(t.rows()).isEqualTo(13);
        assertThat(t.version()).isEqualTo(3);
        for (int g = 0; g < 13; g++) {
            assertThat(t.get(g, 0)).isEqualTo(g);
            assertThat(t.get(g, 1)).isEqualTo(-g);
        }
    }

    private Result publishDelta(String... extra) throws IOException {
        String[] base = {"publish", "-p", "bootstrap.servers=127.0.0.1:1", "-p", "schema.registry.url=mock://PublishCommandTest"};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return publish(all);
    }

    @Test
    void shouldRefuseDeltaOptionsThatDoNotMakeADeltaBeforeConnecting() throws IOException {
        Path rows = dir.resolve("rows.npy");
        NpyWriter.write(rows, 2, 2, EmbeddingTable.fromFloats("t", 1, 2, 2, new float[4], null).data());
        String needs = "a delta needs --version N --base B --file ROWS.npy and either --ids IDS.npy or --diff-from OLD.npy";
        assertThat(publishDelta("--version", "2", "--base", "1", "--file", rows.toString()).err).contains(needs);
        assertThat(publishDelta("--version", "2", "--base", "1", "--file", rows.toString(), "--ids", rows.toString(),
                "--diff-from", rows.toString()).err).contains(needs);
        assertThat(publishDelta("--version", "2", "--ids", rows.toString(), "--file", rows.toString()).err).contains(needs);
        Result shards = publishDelta("--version", "2", "--base", "1", "--file", rows.toString(), "--ids", rows.toString(),
                "--vocab", rows.toString());
        assertThat(shards.exit).isEqualTo(2);
        assertThat(shards.err).contains("--shards, --vocab and --format do not apply");
        Result order = publishDelta("--version", "2", "--base", "2", "--file", rows.toString(), "--ids", rows.toString());
        assertThat(order.exit).isEqualTo(2);
        assertThat(order.err.strip()).isEqualTo("publish: --base B and --version N need 1 <= B < N, got B=2 N=2");
        Result notIds = publishDelta("--version", "2", "--base", "1", "--file", rows.toString(), "--ids", rows.toString());
        assertThat(notIds.exit).isEqualTo(2);
        assertThat(notIds.err.strip()).startsWith("publish: cannot read the delta: ").contains("'<f4'").contains("is not an id array")
                .doesNotContain("\n");
    }

    @Test
    void shouldRefuseRowsThatAreNotOnePerIdBeforeConnecting() throws IOException {
        Path rows = dir.resolve("rows.npy");
        NpyWriter.write(rows, 2, 2, EmbeddingTable.fromFloats("t", 1, 2, 2, new float[4], null).data());
        Path ids = dir.resolve("ids.npy");
        String header = "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }";
        StringBuilder h = new StringBuilder(header);
        while ((10 + h.length() + 1) % 64 != 0) h.append(' ');
        h.append('\n');
        ByteBuffer b = ByteBuffer.allocate(10 + h.length() + 24).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        b.putShort((short) h.length()).put(h.toString().getBytes(StandardCharsets.US_ASCII));
        b.putLong(1).putLong(2).putLong(3);
        Files.write(ids, b.array());
        Result r = publishDelta("--version", "2", "--base", "1", "--file", rows.toString(), "--ids", ids.toString());
        assertThat(r.exit).isEqualTo(2);
        assertThat(r.err.strip()).isEqualTo("publish: cannot read the delta: " + rows + " has 2 rows for the 3 ids of " + ids);
        Result same = publishDelta("--version", "2", "--base", "1", "--file", rows.toString(), "--diff-from", rows.toString());
        assertThat(same.exit).isEqualTo(2);
        assertThat(same.err).contains("are the same table bit for bit: there is no delta to publish");
    }
}
