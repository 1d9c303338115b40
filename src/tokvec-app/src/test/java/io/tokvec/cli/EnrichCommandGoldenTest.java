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

/**
 * The offline path of the Keras parity requirement: every golden case of ../shared/golden goes
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

    private Stream<DynamicTest> cases(String file) throws IOException {
        GoldenFile golden = GoldenCases.load(file);
        assertThat(golden.cases()).hasSize(32);
        EmbeddingTable table = golden.table("golden", 1);
        Path npy = dir.resolve(file + ".npy");
        Path vocab = dir.resolve(file + ".vocab.txt");
        NpyWriter.write(npy, table.rows(), table.dim(), table.data());
        VocabularyFile.write(vocab, golden.tokens());
        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : golden.cases()) {
            tests.add(DynamicTest.dynamicTest(file + ":" + c.name(), () -> runCase(golden, c, npy, vocab)));
        }
        return tests.stream();
    }

    private void runCase(GoldenFile golden, Case c, Path npy, Path vocab) throws IOException {
        Path in = dir.resolve(golden.file() + "." + c.name() + ".jsonl");
        Path out = dir.resolve(golden.file() + "." + c.name() + ".out.jsonl");
        Files.write(in, eventLines(c.events()), StandardCharsets.UTF_8);

        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = withStderr(err, () -> Main.execute("enrich", "--table", npy.toString(), "--format", "npy",
                "--vocab", vocab.toString(), "--max-len", String.valueOf(c.maxLen()), "--padding", c.padding(),
                "--truncating", c.truncating(), "--pad-vector", c.padVector(),
                "--input", in.toString(), "--output", out.toString()));

        String stderr = err.toString(StandardCharsets.UTF_8);
        assertThat(exit).as("exit status; stderr: %s", stderr).isZero();
        assertThat(stderr).contains("enrich: " + c.events().size() + " events, 0 failed");
        List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
        assertThat(lines).hasSameSizeAs(c.expected());
        for (int i = 0; i < lines.size(); i++) {
            assertLineMatches(lines.get(i), c.expected().get(i), golden.dim());
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
            lines.add(JSON.writeValueAsString(o));
        }
        return lines;
    }

    /** Checks field order and every field; embeddings are parsed from their text straight to float32. */
    static void assertLineMatches(String line, Expected x, int dim) throws IOException {
        List<String> fields = new ArrayList<>();
        List<Float> embeddings = new ArrayList<>();
        ObjectNode other = JsonNodeFactory.instance.objectNode();
        try (JsonParser p = JSON.createParser(line)) {
            assertThat(p.nextToken()).isEqualTo(JsonToken.START_OBJECT);
            String f;
            while ((f = p.nextFieldName()) != null) {
                fields.add(f);
                JsonToken t = p.nextToken();
                if (f.equals("embeddings")) {
                    assertThat(t).isEqualTo(JsonToken.START_ARRAY);
                    while (p.nextToken() == JsonToken.VALUE_NUMBER_FLOAT) {
                        embeddings.add(Float.parseFloat(p.getText()));
                    }
                    assertThat(p.currentToken()).as("%s: embeddings are JSON floats", x.id()).isEqualTo(JsonToken.END_ARRAY);
                } else {
                    other.set(f, p.readValueAsTree());
                }
            }
        }
        assertThat(fields).as(x.id() + " field order").isEqualTo(FIELDS);
        assertThat(other.get("id").asText()).isEqualTo(x.id());
        assertThat(other.get("table_version").asLong()).isZero();
        assertThat(GoldenCases.ints(other.get("ids"))).as(x.id() + " ids").containsExactly(x.ids());
        assertThat(GoldenCases.bools(other.get("mask"))).as(x.id() + " mask").containsExactly(x.mask());
        assertThat(other.get("length").asInt()).as(x.id() + " length").isEqualTo(x.length());
        assertThat(other.get("truncated").asBoolean()).as(x.id() + " truncated").isEqualTo(x.truncated());
        assertThat(other.get("dim").asInt()).as(x.id() + " dim").isEqualTo(dim);
        long oovs = Arrays.stream(x.ids()).filter(id -> id == 1).count();
        assertThat(other.get("oov").asLong()).as(x.id() + " oov").isEqualTo(oovs);
        assertThat(embeddings).as(x.id() + " embeddings size").hasSize(x.embeddings().length);
        for (int k = 0; k < embeddings.size(); k++) {
            assertThat(Float.floatToRawIntBits(embeddings.get(k))).as(x.id() + " embeddings[" + k + "]")
                    .isEqualTo(Float.floatToRawIntBits(x.embeddings()[k]));
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
