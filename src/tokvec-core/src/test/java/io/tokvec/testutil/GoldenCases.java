package io.tokvec.testutil;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.EnrichOptions;
import io.tokvec.core.Pooling;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the golden files of this module's test resources ({@code golden/}): the Keras parity cases
 * ({@code keras-ids.json}, {@code keras-strings.json}, written by {@code src/test/python/gen_keras_golden.py}
 * with Keras' own {@code pad_sequences} and a numpy gather) and the cases beyond pad_sequences (pooling,
 * the PyTorch preset, OOV buckets, hashing, shards; {@code gen_beyond_golden.py}). Where a directory of
 * shared golden files exists beside the checkout (system property {@code tokvec.shared.dir}, set by the
 * pom, default {@code ../shared}), its Keras cases are checked too ({@link #shared}), as a cross-check.
 */
public final class GoldenCases {

    public static final String IDS = "keras-ids.json";
    public static final String STRINGS = "keras-strings.json";
    /** Test resources of "parity beyond pad_sequences". */
    public static final String POOLING = "torch-pooling.json";
    public static final String TORCH_PRESET = "torch-preset.json";
    public static final String OOV_BUCKETS = "keras-oov-buckets.json";
    public static final String HASHING = "keras-hashing.json";
    public static final String FINGERPRINTS = "farmhash-fingerprint64.json";
    private static final String RESOURCE_DIR = "/golden/";

    public record GoldenFile(String file, int rows, int dim, float[] vectors, List<String> tokens, List<Case> cases) {
        /** The file's table as an {@link EmbeddingTable} named {@code name}, with its vocabulary. */
        public EmbeddingTable table(String name, long version) {
            return EmbeddingTable.fromFloats(name, version, rows, dim, vectors, tokens);
        }
    }

    /**
     * One case: the pad_sequences options, plus (in the files of "beyond pad_sequences") the pooling
     * mode ({@code none} when absent), the StringLookup OOV buckets (1) and Keras Hashing bins (0: off).
     */
    public record Case(String name, int maxLen, String padding, String truncating, String padVector,
                       String pooling, int oovBuckets, int hashingBins, boolean hashingMask,
                       List<Event> events, List<Expected> expected) {
        public EnrichOptions options() {
            return new EnrichOptions(maxLen, EnrichOptions.Side.parse("padding", padding),
                    EnrichOptions.Side.parse("truncating", truncating),
                    EnrichOptions.PadVector.parse("pad_vector", padVector), EnrichOptions.OovPolicy.ERROR,
                    Pooling.Mode.parse("pooling", pooling), true,
                    new EnrichOptions.Strings(oovBuckets, hashingBins, hashingMask));
        }
    }

    /** One input event: exactly one of tokenIds / tokens is non-null; weights may be null. */
    public record Event(String id, List<Integer> tokenIds, List<String> tokens, List<Float> weights) {
    }

    /** Expected output; pooled is null for cases without pooling. */
    public record Expected(String id, int[] ids, boolean[] mask, int length, boolean truncated, float[] embeddings,
                           float[] pooled) {
    }

    private GoldenCases() {
    }

    public static Path sharedDir() {
        return Path.of(System.getProperty("tokvec.shared.dir", "../shared"));
    }

    /** A Keras parity file of this module's test resources ({@link #IDS} or {@link #STRINGS}). */
    public static GoldenFile load(String file) {
        return loadResource(file);
    }

    /**
     * The same-named file of the shared golden directory beside the checkout, if there is one (named
     * {@code shared-<file>}); empty in a clone on its own, whose tests then use the repository's files only.
     */
    public static Optional<GoldenFile> shared(String file) {
        Path p = sharedDir().resolve("golden").resolve(file);
        if (!Files.isRegularFile(p)) {
            return Optional.empty();
        }
        try {
            return Optional.of(parse("shared-" + file, Files.readAllBytes(p)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read golden file " + p.toAbsolutePath(), e);
        }
    }

    /** The shared Keras files ({@link #IDS}, {@link #STRINGS}) that exist; empty in a clone on its own. */
    public static List<GoldenFile> sharedKeras() {
        return java.util.stream.Stream.of(IDS, STRINGS).map(GoldenCases::shared).flatMap(Optional::stream).toList();
    }

    /**
     * The GloVe sample of the repository (11 words x 8, the demo's table), relative to the checkout's
     * top level (the tests' working directory).
     */
    public static Path gloveSample() {
        return Path.of("src/tokvec-devkit/src/main/resources/demo/glove-sample.txt");
    }

    /**
     * A golden file of this module's test resources ({@code golden/<file>}, generated by
     * {@code src/test/python/gen_beyond_golden.py}), read from the classpath so other modules'
     * tests find it in the test jar.
     */
    public static GoldenFile loadResource(String file) {
        try {
            return parse(file, resource(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse test resource " + RESOURCE_DIR + file, e);
        }
    }

    /** The bytes of test resource {@code golden/<file>}. */
    public static byte[] resource(String file) {
        try (InputStream in = GoldenCases.class.getResourceAsStream(RESOURCE_DIR + file)) {
            if (in == null) {
                throw new IllegalStateException("no test resource " + RESOURCE_DIR + file);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read test resource " + RESOURCE_DIR + file, e);
        }
    }

    /** Copies test resource {@code golden/<file>} into {@code dir} (same file name); returns the copy. */
    public static Path copyResource(String file, Path dir) {
        Path target = dir.resolve(Path.of(file).getFileName().toString());
        try {
            Files.write(target, resource(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
        return target;
    }

    /** The parsed JSON of test resource {@code golden/<file>}. */
    public static JsonNode resourceJson(String file) {
        try {
            return new ObjectMapper().readTree(resource(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse test resource " + RESOURCE_DIR + file, e);
        }
    }

    private static GoldenFile parse(String file, byte[] json) throws IOException {
        JsonNode root = new ObjectMapper().readTree(json);
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
                List<Float> weights = null;
                if (e.hasNonNull("token_ids")) {
                    ids = new ArrayList<>();
                    for (JsonNode n : e.get("token_ids")) ids.add(n.asInt());
                }
                if (e.hasNonNull("tokens")) {
                    toks = new ArrayList<>();
                    for (JsonNode n : e.get("tokens")) toks.add(n.asText());
                }
                if (e.hasNonNull("weights")) {
                    weights = new ArrayList<>();
                    for (float f : floats(e.get("weights"))) weights.add(f);
                }
                events.add(new Event(e.get("id").asText(), ids, toks, weights));
            }
            List<Expected> expected = new ArrayList<>();
            for (JsonNode x : c.get("expected")) {
                expected.add(new Expected(x.get("id").asText(), ints(x.get("ids")), bools(x.get("mask")),
                        x.get("length").asInt(), x.get("truncated").asBoolean(), floats(x.get("embeddings")),
                        x.hasNonNull("pooled") ? floats(x.get("pooled")) : null));
            }
            cases.add(new Case(c.get("name").asText(), o.get("max_len").asInt(), o.get("padding").asText(),
                    o.get("truncating").asText(), o.get("pad_vector").asText(),
                    o.hasNonNull("pooling") ? o.get("pooling").asText() : "none",
                    o.hasNonNull("oov_buckets") ? o.get("oov_buckets").asInt() : 1,
                    o.hasNonNull("hashing_bins") ? o.get("hashing_bins").asInt() : 0,
                    !o.hasNonNull("hashing_mask") || o.get("hashing_mask").asBoolean(),
                    events, expected));
        }
        return new GoldenFile(file, t.get("rows").asInt(), t.get("dim").asInt(), floats(t.get("vectors")),
                tokens.isEmpty() ? null : tokens, cases);
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
