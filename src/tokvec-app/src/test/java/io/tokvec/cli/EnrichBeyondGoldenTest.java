package io.tokvec.cli;

import io.tokvec.testutil.GoldenCases;
import io.tokvec.testutil.GoldenCases.Case;
import io.tokvec.testutil.GoldenCases.GoldenFile;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * "Parity beyond pad_sequences" through the offline {@code tokvec enrich} command: pooling (with
 * weights in the input lines), {@code --no-sequence}, the PyTorch preset, OOV buckets, hashing and
 * {@code --shards}, every output field compared with the golden files bit for bit.
 */
class EnrichBeyondGoldenTest {

    @TempDir
    Path dir;

    @TestFactory
    Stream<DynamicTest> shouldMatchTorchEmbeddingBagOfflineWhenPooling() throws IOException {
        return EnrichCommandGoldenTest.cases(GoldenCases.loadResource(GoldenCases.POOLING), dir);
    }

    @TestFactory
    Stream<DynamicTest> shouldMatchTorchPadSequenceOfflineWithThePytorchPreset() throws IOException {
        return EnrichCommandGoldenTest.cases(GoldenCases.loadResource(GoldenCases.TORCH_PRESET), dir);
    }

    @TestFactory
    Stream<DynamicTest> shouldMatchStringLookupOovBucketsOffline() throws IOException {
        return EnrichCommandGoldenTest.cases(GoldenCases.loadResource(GoldenCases.OOV_BUCKETS), dir);
    }

    @TestFactory
    Stream<DynamicTest> shouldMatchKerasHashingOffline() throws IOException {
        return EnrichCommandGoldenTest.cases(GoldenCases.loadResource(GoldenCases.HASHING), dir);
    }

    @TestFactory
    Stream<DynamicTest> shouldPrintOnlyThePooledVectorWithNoSequence() {
        GoldenFile g = GoldenCases.loadResource(GoldenCases.POOLING);
        List<String> tableArgs = List.of("--shards", shard("pooling-div-3-0.npy"), shard("pooling-div-3-1.npy"),
                shard("pooling-div-3-2.npy"), "--partition-strategy", "div");
        return g.cases().stream().filter(c -> c.name().startsWith("max-") || c.name().startsWith("sum-weighted-"))
                .map(c -> DynamicTest.dynamicTest(c.name(),
                        () -> EnrichCommandGoldenTest.runCase(g, c, tableArgs, List.of("--no-sequence"), dir)));
    }

    @TestFactory
    Stream<DynamicTest> shouldEnrichFromShardsLikeFromTheWholeTable() {
        GoldenFile g = GoldenCases.loadResource(GoldenCases.POOLING);
        List<DynamicTest> tests = new ArrayList<>();
        for (String strategy : List.of("mod", "div")) {
            List<String> tableArgs = new ArrayList<>(List.of("--shards"));
            for (int p = 0; p < 4; p++) tableArgs.add(shard("pooling-" + strategy + "-4-" + p + ".npy"));
            tableArgs.addAll(List.of("--partition-strategy", strategy, "--format", "npy"));
            for (Case c : g.cases().subList(0, 12)) {
                tests.add(DynamicTest.dynamicTest(strategy + ":" + c.name(),
                        () -> EnrichCommandGoldenTest.runCase(g, c, tableArgs, List.of(), dir)));
            }
        }
        return tests.stream();
    }

    private String shard(String name) {
        return GoldenCases.copyResource("shards/" + name, dir).toString();
    }

    private record Run(int exit, String out, String err) {
    }

    private Run enrich(String input, String... args) throws IOException {
        Path in = dir.resolve("in.jsonl");
        Path out = dir.resolve("out.jsonl");
        Files.writeString(in, input);
        List<String> all = new ArrayList<>(List.of("enrich"));
        all.addAll(List.of(args));
        all.addAll(List.of("--input", in.toString(), "--output", out.toString()));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = EnrichCommandGoldenTest.withStderr(err, () -> Main.execute(all.toArray(String[]::new)));
        return new Run(exit, Files.exists(out) ? Files.readString(out) : "", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldNameTheLineWhenWeightsDoNotFitAndGoOn() throws IOException {
        Run r = enrich("{\"id\":\"a\",\"token_ids\":[2,3],\"weights\":[1.5]}\n"
                        + "{\"id\":\"b\",\"token_ids\":[2,3],\"weights\":[1.5,\"x\"]}\n"
                        + "{\"id\":\"c\",\"token_ids\":[2,3],\"weights\":[0.5,2]}\n",
                "--shards", shard("doc13-mod-5-0.npy"), shard("doc13-mod-5-1.npy"), shard("doc13-mod-5-2.npy"),
                shard("doc13-mod-5-3.npy"), shard("doc13-mod-5-4.npy"), "--partition-strategy", "mod",
                "--max-len", "2", "--pooling", "sum", "--no-sequence");
        assertThat(r.exit).isEqualTo(1);
        assertThat(r.err).contains("line 1: weights has 1 values but the event has 2 tokens (one weight per token)")
                .contains("line 2: weights[1] is not a number: the string \"x\"")
                .contains("enrich: 3 events, 2 failed");
        // doc13 row i = (i, -i): 0.5 * (2, -2) + 2 * (3, -3) = (7, -7)
        assertThat(r.out).isEqualTo("{\"id\":\"c\",\"table_version\":0,\"ids\":[2,3],\"mask\":[true,true],\"length\":2,"
                + "\"truncated\":false,\"dim\":2,\"embeddings\":[],\"pooled\":[7.0,-7.0],\"oov\":0}\n");
    }

    @Test
    void shouldRefuseShardsWhoseShapesDoNotFitBeforeReadingEvents() throws IOException {
        Run r = enrich("{\"id\":\"a\",\"token_ids\":[1]}\n", "--shards", shard("doc13-mod-5-4.npy"), shard("doc13-mod-5-0.npy"),
                "--partition-strategy", "div", "--max-len", "2");
        assertThat(r.exit).isEqualTo(2);
        assertThat(r.err).contains("enrich: cannot load table of 2 shards: shard 0 (")
                .contains("has 2 rows, but 5 rows in 2 shards give shard 0 3 rows");
    }

    @Test
    void shouldRequireAStrategyAndOneTableSourceWhenGivenShards() throws IOException {
        Run noStrategy = enrich("", "--shards", shard("doc13-mod-5-0.npy"), "--max-len", "2");
        assertThat(noStrategy.exit).isEqualTo(2);
        assertThat(noStrategy.err).contains("--shards needs --partition-strategy mod|div");
        Run both = enrich("", "--shards", shard("doc13-mod-5-0.npy"), "--table", shard("doc13.npy"), "--format", "npy",
                "--partition-strategy", "mod", "--max-len", "2");
        assertThat(both.exit).isEqualTo(2);
        assertThat(both.err).contains("give either --table FILE --format F or --shards FILE...");
    }
}
