package io.tokvec.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.tables.NpyWriter;
import io.tokvec.tables.VocabularyFile;
import io.tokvec.testutil.GoldenCases;
import io.tokvec.testutil.GoldenCases.Case;
import io.tokvec.testutil.GoldenCases.Event;
import io.tokvec.testutil.GoldenCases.Expected;
import io.tokvec.testutil.GoldenCases.GoldenFile;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The offline path of the Keras parity requirement: every Keras golden case goes
 * through the real {@code tokvec enrich} command (table as .npy + vocabulary file, events as JSON
 * lines), and every output field must equal the golden value exactly (floats compared by bits).
 */
class EnrichCommandGoldenTest {

    static final List<String> FIELDS = List.of("id", "table_version", "ids", "mask", "length", "truncated", "dim",
            "embeddings", "oov");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @TestFactory
    Stream<DynamicTest> shouldMatchKerasForIdEvents() throws IOException {
        return cases(GoldenCases.IDS);
    }

    @TestFactory
    Stream<DynamicTest> shouldMatchKerasForStringEvents() throws IOException {
        return cases(GoldenCases.STRINGS);
    }

    /**
     * The Keras cases of the shared golden directory beside the checkout, where there is one: the same
     * semantics computed elsewhere, as a cross-check of the repository's own files (skipped without it).
     */
    @TestFactory
    Stream<DynamicTest> shouldMatchTheSharedKerasCasesWhereTheyExist() throws IOException {
        List<GoldenFile> shared = GoldenCases.sharedKeras();
        assumeTrue(!shared.isEmpty(), "no shared golden directory beside the checkout");
        List<DynamicTest> tests = new ArrayList<>();
        for (GoldenFile g : shared) {
            cases(g, dir).forEach(tests::add);
        }
        return tests.stream();
    }

    private Stream<DynamicTest> cases(String file) throws IOException {
        GoldenFile golden = GoldenCases.load(file);
        assertThat(golden.cases()).hasSize(32);
        return cases(golden, dir);
    }

    /** Every case of a golden file through {@code tokvec enrich}, the table written as .npy (+ vocabulary). */
    static Stream<DynamicTest> cases(GoldenFile golden, Path dir) throws IOException {
        EmbeddingTable table = golden.table("golden", 1);
        Path npy = dir.resolve(golden.file() + ".npy");
        NpyWriter.write(npy, table.rows(), table.dim(), table.data());
        List<String> tableArgs = new ArrayList<>(List.of("--table", npy.toString(), "--format", "npy"));
        if (golden.tokens() != null) {
            Path vocab = dir.resolve(golden.file() + ".vocab.txt");
            VocabularyFile.write(vocab, golden.tokens());
            tableArgs.addAll(List.of("--vocab", vocab.toString()));
        }
        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : golden.cases()) {
            tests.add(DynamicTest.dynamicTest(golden.file() + ":" + c.name(),
                    () -> runCase(golden, c, tableArgs, List.of(), dir)));
        }
        return tests.stream();
    }

    /**
     * Runs one case through {@code tokvec enrich} with the table arguments and the case's options
     * (plus {@code extraArgs}), and checks every output line.
     */
    static void runCase(GoldenFile golden, Case c, List<String> tableArgs, List<String> extraArgs, Path dir) throws IOException {
        Path in = dir.resolve(golden.file() + "." + c.name() + ".jsonl");
        Path out = dir.resolve(golden.file() + "." + c.name() + ".out.jsonl");
        Files.write(in, eventLines(c.events()), StandardCharsets.UTF_8);
        List<String> args = new ArrayList<>(List.of("enrich"));
        args.addAll(tableArgs);
        args.addAll(List.of("--max-len", String.valueOf(c.maxLen()), "--padding", c.padding(),
                "--truncating", c.truncating(), "--pad-vector", c.padVector()));
        if (!c.pooling().equals("none")) {
            args.addAll(List.of("--pooling", c.pooling()));
        }
        if (c.oovBuckets() != 1) {
            args.addAll(List.of("--oov-buckets", String.valueOf(c.oovBuckets())));
        }
        if (c.hashingBins() != 0) {
            args.addAll(List.of("--hashing-bins", String.valueOf(c.hashingBins()), "--hashing-mask", String.valueOf(c.hashingMask())));
        }
        args.addAll(extraArgs);
        args.addAll(List.of("--input", in.toString(), "--output", out.toString()));

        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = withStderr(err, () -> Main.execute(args.toArray(String[]::new)));

        String stderr = err.toString(StandardCharsets.UTF_8);
        assertThat(exit).as("exit status; stderr: %s", stderr).isZero();
        assertThat(stderr).contains("enrich: " + c.events().size() + " events, 0 failed");
        List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
        assertThat(lines).hasSameSizeAs(c.expected());
        boolean sequence = !extraArgs.contains("--no-sequence");
        int oovRows = c.hashingBins() != 0 ? 0 : c.oovBuckets();
        for (int i = 0; i < lines.size(); i++) {
            assertLineMatches(lines.get(i), c.expected().get(i), golden.dim(), oovRows, sequence);
        }
    }

    static List<String> eventLines(List<Event> events) throws IOException {
        List<String> lines = new ArrayList<>();
        for (Event e : events) {
            ObjectNode o = JsonNodeFactory.instance.objectNode().put("id", e.id());
            if (e.tokenIds() != null) {
                e.tokenIds().forEach(o.putArray("token_ids")::add);
            } else {
                e.tokens().forEach(o.putArray("tokens")::add);
            }
            if (e.weights() != null) {
                e.weights().forEach(o.putArray("weights")::add);
            }
            lines.add(JSON.writeValueAsString(o));
        }
        return lines;
    }

    /**
     * Checks field order and every field; embeddings and pooled are parsed from their text straight
     * to float32. {@code oov} must count the ids in {@code 1..oovRows}; without the sequence the
     * embeddings must be an empty list.
     */
    static void assertLineMatches(String line, Expected x, int dim, int oovRows, boolean sequence) throws IOException {
        List<String> fields = new ArrayList<>();
        List<Float> embeddings = new ArrayList<>();
        List<Float> pooled = new ArrayList<>();
        ObjectNode other = JsonNodeFactory.instance.objectNode();
        try (JsonParser p = JSON.createParser(line)) {
            assertThat(p.nextToken()).isEqualTo(JsonToken.START_OBJECT);
            String f;
            while ((f = p.nextFieldName()) != null) {
                fields.add(f);
                JsonToken t = p.nextToken();
                if (f.equals("embeddings") || f.equals("pooled")) {
                    List<Float> into = f.equals("embeddings") ? embeddings : pooled;
                    assertThat(t).isEqualTo(JsonToken.START_ARRAY);
                    while (p.nextToken() == JsonToken.VALUE_NUMBER_FLOAT) {
                        into.add(Float.parseFloat(p.getText()));
                    }
                    assertThat(p.currentToken()).as("%s: %s are JSON floats", x.id(), f).isEqualTo(JsonToken.END_ARRAY);
                } else {
                    other.set(f, p.readValueAsTree());
                }
            }
        }
        List<String> expectedFields = new ArrayList<>(FIELDS);
        if (x.pooled() != null) {
            expectedFields.add(expectedFields.indexOf("oov"), "pooled");
        }
        assertThat(fields).as(x.id() + " field order").isEqualTo(expectedFields);
        assertThat(other.get("id").asText()).isEqualTo(x.id());
        assertThat(other.get("table_version").asLong()).isZero();
        assertThat(GoldenCases.ints(other.get("ids"))).as(x.id() + " ids").containsExactly(x.ids());
        assertThat(GoldenCases.bools(other.get("mask"))).as(x.id() + " mask").containsExactly(x.mask());
        assertThat(other.get("length").asInt()).as(x.id() + " length").isEqualTo(x.length());
        assertThat(other.get("truncated").asBoolean()).as(x.id() + " truncated").isEqualTo(x.truncated());
        assertThat(other.get("dim").asInt()).as(x.id() + " dim").isEqualTo(dim);
        long oovs = Arrays.stream(x.ids()).filter(id -> id >= 1 && id <= oovRows).count();
        assertThat(other.get("oov").asLong()).as(x.id() + " oov").isEqualTo(oovs);
        assertBits(x.id() + " embeddings", embeddings, sequence ? x.embeddings() : new float[0]);
        if (x.pooled() != null) {
            assertBits(x.id() + " pooled", pooled, x.pooled());
        }
    }

    private static void assertBits(String what, List<Float> got, float[] expected) {
        assertThat(got).as(what + " size").hasSize(expected.length);
        for (int k = 0; k < got.size(); k++) {
            assertThat(Float.floatToRawIntBits(got.get(k))).as(what + "[" + k + "]")
                    .isEqualTo(Float.floatToRawIntBits(expected[k]));
        }
    }

    interface Run {
        int run() throws IOException;
    }

    /** Runs with System.err captured (the command writes its messages and summary there). */
    static synchronized int withStderr(ByteArrayOutputStream err, Run run) throws IOException {
        PrintStream saved = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            return run.run();
        } finally {
            System.setErr(saved);
        }
    }
}
