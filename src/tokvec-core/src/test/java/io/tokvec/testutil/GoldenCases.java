package io.tokvec.testutil;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.EnrichOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the Keras parity cases in {@code ../shared/golden/*.json} (computed with Keras' own
 * {@code pad_sequences} and a numpy gather). The directory comes from the system property
 * {@code tokvec.shared.dir} (set by the pom), defaulting to {@code ../shared}.
 */
public final class GoldenCases {

    public static final String IDS = "keras-ids.json";
    public static final String STRINGS = "keras-strings.json";

    public record GoldenFile(String file, int rows, int dim, float[] vectors, List<String> tokens, List<Case> cases) {
        /** The file's table as an {@link EmbeddingTable} named {@code name}, with its vocabulary. */
        public EmbeddingTable table(String name, long version) {
            return EmbeddingTable.fromFloats(name, version, rows, dim, vectors, tokens);
        }
    }

    public record Case(String name, int maxLen, String padding, String truncating, String padVector,
                       List<Event> events, List<Expected> expected) {
        public EnrichOptions options() {
            return new EnrichOptions(maxLen, EnrichOptions.Side.parse("padding", padding),
                    EnrichOptions.Side.parse("truncating", truncating),
                    EnrichOptions.PadVector.parse("pad_vector", padVector), EnrichOptions.OovPolicy.ERROR);
        }
    }

    /** One input event: exactly one of tokenIds / tokens is non-null. */
    public record Event(String id, List<Integer> tokenIds, List<String> tokens) {
    }

    public record Expected(String id, int[] ids, boolean[] mask, int length, boolean truncated, float[] embeddings) {
    }

    private GoldenCases() {
    }

    public static Path sharedDir() {
        return Path.of(System.getProperty("tokvec.shared.dir", "../shared"));
    }

    public static Path path(String file) {
        return sharedDir().resolve("golden").resolve(file);
    }

    public static GoldenFile load(String file) {
        Path p = path(file);
        try {
            JsonNode root = new ObjectMapper().readTree(Files.readAllBytes(p));
            JsonNode t = root.get("table");
            List<String> tokens = new ArrayList<>();
            if (t.hasNonNull("tokens")) {
                t.get("tokens").forEach(n -> tokens.add(n.asText()));
            }
            List<Case> cases = new ArrayList<>();
            for (JsonNode c : root.get("cases")) {
                JsonNode o = c.get("options");
                List<Event> events = new ArrayList<>();
                for (JsonNode e : c.get("events")) {
                    List<Integer> ids = null;
                    List<String> toks = null;
                    if (e.hasNonNull("token_ids")) {
                        ids = new ArrayList<>();
                        for (JsonNode n : e.get("token_ids")) ids.add(n.asInt());
                    }
                    if (e.hasNonNull("tokens")) {
                        toks = new ArrayList<>();
                        for (JsonNode n : e.get("tokens")) toks.add(n.asText());
                    }
                    events.add(new Event(e.get("id").asText(), ids, toks));
                }
                List<Expected> expected = new ArrayList<>();
                for (JsonNode x : c.get("expected")) {
                    expected.add(new Expected(x.get("id").asText(), ints(x.get("ids")), bools(x.get("mask")),
                            x.get("length").asInt(), x.get("truncated").asBoolean(), floats(x.get("embeddings"))));
                }
                cases.add(new Case(c.get("name").asText(), o.get("max_len").asInt(), o.get("padding").asText(),
                        o.get("truncating").asText(), o.get("pad_vector").asText(), events, expected));
            }
            return new GoldenFile(file, t.get("rows").asInt(), t.get("dim").asInt(), floats(t.get("vectors")),
                    tokens.isEmpty() ? null : tokens, cases);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read golden file " + p.toAbsolutePath(), e);
        }
    }

    public static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }

    public static boolean[] bools(JsonNode a) {
        boolean[] r = new boolean[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asBoolean();
        return r;
    }

    /** JSON numbers of the golden files are float32 values printed as doubles: narrowing is exact. */
    public static float[] floats(JsonNode a) {
        float[] r = new float[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = (float) a.get(i).asDouble();
        return r;
    }
}
