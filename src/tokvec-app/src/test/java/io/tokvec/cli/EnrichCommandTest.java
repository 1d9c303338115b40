package io.tokvec.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.tables.NpyWriter;
import io.tokvec.testutil.GoldenCases;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Error handling, exit statuses and streams of {@code tokvec enrich}. */
class EnrichCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private Path table;
    private Path vocab;

    /** 5 rows x 2: row r = (r, -r), so row 0 is (0.0, -0.0); vocabulary '', [UNK], a, b, c. */
    @BeforeEach
    void writeTable() throws IOException {
        float[] v = new float[10];
        for (int r = 0; r < 5; r++) {
            v[2 * r] = r;
            v[2 * r + 1] = -(float) r; // row 0 holds -0.0
        }
        table = dir.resolve("t.npy");
        NpyWriter.write(table, 5, 2, EmbeddingTable.fromFloats("t", 0, 5, 2, v, null).data());
        vocab = dir.resolve("vocab.txt");
        Files.writeString(vocab, "\n[UNK]\na\nb\nc\n");
    }

    @Test
    void shouldReportBadLinesByNumberAndStillWriteTheGoodOnes() throws IOException {
        Result r = run(String.join("\n",
                        "{\"id\":\"ok1\",\"token_ids\":[2,3]}",
                        "",
                        "{\"id\":\"broken\",\"token_ids\":[2,",
                        "{\"token_ids\":[2]}",
                        "{\"id\":\"both\",\"token_ids\":[2],\"tokens\":[\"a\"]}",
                        "{\"id\":\"neither\"}",
                        "{\"id\":\"bad-id\",\"token_ids\":[2,3,4,99]}",
                        "{\"id\":\"float\",\"token_ids\":[2,1.5]}",
                        "{\"id\":\"ok2\",\"tokens\":[\"c\",\"zzz\"]}") + "\n",
                "--vocab", vocab.toString(), "--max-len", "4");

        assertThat(r.exit).isEqualTo(1);
        assertThat(r.outLines()).extracting(n -> n.get("id").asText()).containsExactly("ok1", "ok2");
        assertThat(r.err).contains("line 3: invalid JSON")
                .contains("line 4: missing id")
                .contains("line 5: event both has both token_ids and tokens")
                .contains("line 6: event neither has neither token_ids nor tokens")
                .contains("line 7: token id 99 at position 3 is outside table t.npy v0 (rows 0..4)")
                .contains("line 8: token_ids[1] is not an integer: 1.5")
                .containsPattern("enrich: 8 events, 6 failed, [0-9.]+ s");
        assertThat(r.err).doesNotContain("line 1:").doesNotContain("line 9:");
    }

    @Test
    void shouldWriteKerasPaddedOutputWithAllFieldsInOrder() throws IOException {
        Result r = run("{\"id\":42,\"tokens\":[\"b\",\"zzz\"],\"meta\":{\"x\":[1]}}\n", "--vocab", vocab.toString(),
                "--max-len", "3", "--padding", "post");

        assertThat(r.exit).isZero();
        assertThat(r.out).isEqualTo("{\"id\":42,\"table_version\":0,\"ids\":[3,1,0],\"mask\":[true,true,false],"
                + "\"length\":2,\"truncated\":false,\"dim\":2,\"embeddings\":[3.0,-3.0,1.0,-1.0,0.0,-0.0],\"oov\":1}\n");
    }

    @Test
    void shouldReadStdinAndWriteStdout() throws IOException {
        Result r = runStdio("{\"id\":\"e\",\"token_ids\":[4]}\n", "--table", table.toString(), "--format", "NPY",
                "--max-len", "2", "--pad-vector", "zeros");

        assertThat(r.exit).isZero();
        JsonNode n = r.outLines().get(0);
        assertThat(n.get("ids").toString()).isEqualTo("[0,4]");
        assertThat(n.get("embeddings").toString()).isEqualTo("[0.0,0.0,4.0,-4.0]");
        assertThat(r.err).contains("enrich: 1 events, 0 failed");
    }

    @Test
    void shouldRefuseStringTokensWithoutVocabulary() throws IOException {
        Result r = run("{\"id\":\"s\",\"tokens\":[\"a\"]}\n", "--max-len", "2");

        assertThat(r.exit).isEqualTo(1);
        assertThat(r.out).isEmpty();
        assertThat(r.err).contains("line 1: event has string tokens but table t.npy v0 has no vocabulary");
    }

    @Test
    void shouldMapOutOfRangeIdsToOovWhenAsked() throws IOException {
        Result r = run("{\"id\":\"u\",\"token_ids\":[-3,7,99999999999,2]}\n", "--max-len", "4", "--oov", "unk");

        assertThat(r.exit).isZero();
        JsonNode n = r.outLines().get(0);
        assertThat(n.get("ids").toString()).isEqualTo("[1,1,1,2]");
        assertThat(n.get("oov").asInt()).isEqualTo(3);
    }

    @Test
    void shouldNameIdsTooLargeForAnInt() throws IOException {
        Result r = run("{\"id\":\"h\",\"token_ids\":[2,99999999999]}\n", "--max-len", "4");

        assertThat(r.exit).isEqualTo(1);
        assertThat(r.err).contains("line 1: token id 99999999999 at position 1 is outside table t.npy v0 (rows 0..4)");
    }

    @Test
    void shouldNotValidateIdsThatTruncationDrops() throws IOException {
        Result r = run("{\"id\":\"t\",\"token_ids\":[99999999999,-1,2,3]}\n", "--max-len", "2");

        assertThat(r.exit).isZero();
        assertThat(r.outLines().get(0).get("ids").toString()).isEqualTo("[2,3]");
        assertThat(r.outLines().get(0).get("truncated").asBoolean()).isTrue();
    }

    @Test
    void shouldEnrichWithGloveTable() throws IOException {
        Result r = runStdio("{\"id\":\"g\",\"tokens\":[\"the\",\"unheard-of\"]}\n", "--table", glove().toString(),
                "--format", "glove", "--max-len", "2");

        assertThat(r.exit).as(r.err).isZero();
        JsonNode n = r.outLines().get(0);
        assertThat(n.get("ids").toString()).isEqualTo("[2,1]");
        assertThat(n.get("dim").asInt()).isEqualTo(8);
        assertThat(Float.parseFloat(n.get("embeddings").get(0).asText())).isEqualTo(0.418f);
        assertThat(n.get("embeddings").get(8).asDouble()).isZero();
    }

    @Test
    void shouldExitWith2WhenTheTableCannotBeLoaded() throws IOException {
        Path bad = dir.resolve("bad.npy");
        Files.writeString(bad, "not numpy");

        Result r = runStdio("", "--table", bad.toString(), "--format", "npy", "--max-len", "2");

        assertThat(r.exit).isEqualTo(2);
        assertThat(r.err).contains("enrich: cannot load table " + bad).contains("not a .npy file");
    }

    @Test
    void shouldExitWith2WhenTheVocabularyDoesNotFit() throws IOException {
        Files.writeString(vocab, "\n[UNK]\n");

        Result r = run("", "--vocab", vocab.toString(), "--max-len", "2");

        assertThat(r.exit).isEqualTo(2);
        assertThat(r.err).contains("lists 2 tokens but table").contains("has 5 rows");
    }

    @Test
    void shouldExitWith2ForUsageErrors() throws IOException {
        Result padding = run("", "--max-len", "2", "--padding", "middle");
        assertThat(padding.exit).isEqualTo(2);
        assertThat(padding.err).contains("Invalid value for option '--padding': expected one of pre|post, got 'middle'");
        assertThat(run("", "--max-len", "0").err).contains("max_len must be in [1, ");
        assertThat(runStdio("", "--table", table.toString(), "--format", "npy").exit).isEqualTo(2);
        Result r = runStdio("", "--table", table.toString(), "--format", "csv", "--max-len", "2");
        assertThat(r.exit).isEqualTo(2);
        assertThat(r.err).contains("expected one of npy|glove|word2vec, got 'csv'");
        assertThat(runStdio("", "--table", glove().toString(), "--format", "glove", "--vocab", vocab.toString(),
                "--max-len", "2").err).contains("npy tables only");
    }

    @Test
    void shouldExitWith2WhenTheInputFileIsMissing() throws IOException {
        Path missing = dir.resolve("missing.jsonl");

        Result r = runStdio("", "--table", table.toString(), "--format", "npy", "--max-len", "2", "--input", missing.toString());

        assertThat(r.exit).isEqualTo(2);
        assertThat(r.err).contains("enrich: no such file: " + missing);
    }

    /** The repository's GloVe sample (11 words x 8). */
    private static Path glove() {
        return GoldenCases.gloveSample();
    }

    private record Result(int exit, String out, String err) {
        List<JsonNode> outLines() throws IOException {
            List<JsonNode> nodes = new ArrayList<>();
            for (String line : out.split("\n")) {
                if (!line.isEmpty()) nodes.add(JSON.readTree(line));
            }
            return nodes;
        }
    }

    /** Runs against the 5-row npy table with --input/--output files. */
    private Result run(String input, String... options) throws IOException {
        Path in = dir.resolve("in-" + System.nanoTime() + ".jsonl");
        Path out = dir.resolve("out-" + System.nanoTime() + ".jsonl");
        Files.writeString(in, input);
        List<String> args = new ArrayList<>(List.of("enrich", "--table", table.toString(), "--format", "npy",
                "--input", in.toString(), "--output", out.toString()));
        args.addAll(List.of(options));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = EnrichCommandGoldenTest.withStderr(err, () -> Main.execute(args.toArray(String[]::new)));
        String written = Files.exists(out) ? Files.readString(out) : "";
        return new Result(exit, written, err.toString(StandardCharsets.UTF_8));
    }

    /** Runs with stdin, stdout and stderr redirected. */
    private static synchronized Result runStdio(String input, String... options) throws IOException {
        InputStream savedIn = System.in;
        PrintStream savedOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> args = new ArrayList<>(List.of("enrich"));
        args.addAll(List.of(options));
        System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            int exit = EnrichCommandGoldenTest.withStderr(err, () -> Main.execute(args.toArray(String[]::new)));
            return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setIn(savedIn);
            System.setOut(savedOut);
        }
    }
}
