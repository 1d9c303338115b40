package io.tokvec.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.TokenEvent;
import io.tokvec.config.TokvecConfig;
import io.tokvec.streams.EnrichedStreams;
import io.tokvec.streams.TokvecEnrichment;
import io.tokvec.testutil.GoldenCases;
import io.tokvec.testutil.GoldenCases.Case;
import io.tokvec.testutil.GoldenCases.Expected;
import io.tokvec.testutil.GoldenCases.GoldenFile;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Keras golden cases (keras-*.json: computed by Keras' own pad_sequences, StringLookup and Hashing
 * with a numpy gather) through the library's DSL, in a user's kind of topology: a stream of
 * {@link TokenEvent}s, and a stream of the user's own JSON strings turned into events by an
 * {@link io.tokvec.streams.EventMapper}. Every value must be the golden one bit for bit.
 */
class LibraryGoldenTest {

    static final String TABLE = "golden";
    static final long VERSION = 7;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How the test topology's records reach the enrichment. */
    enum Input { TOKEN_EVENTS, MAPPED_JSON }

    @TestFactory
    Stream<DynamicTest> shouldMatchKerasIdCasesThroughTheDsl() {
        return cases(GoldenCases.load(GoldenCases.IDS));
    }

    @TestFactory
    Stream<DynamicTest> shouldMatchKerasStringCasesThroughTheDsl() {
        return cases(GoldenCases.load(GoldenCases.STRINGS));
    }

    @TestFactory
    Stream<DynamicTest> shouldMatchKerasOovBucketCasesThroughTheDsl() {
        return cases(GoldenCases.loadResource(GoldenCases.OOV_BUCKETS));
    }

    @TestFactory
    Stream<DynamicTest> shouldMatchKerasHashingCasesThroughTheDsl() {
        return cases(GoldenCases.loadResource(GoldenCases.HASHING));
    }

    /**
     * The Keras cases of the shared golden directory beside the checkout, where there is one: the
     * same cross-check the topology's and {@code tokvec enrich}'s tests make.
     */
    @TestFactory
    Stream<DynamicTest> shouldMatchTheSharedKerasCasesThroughTheDslWhereTheyExist() {
        List<GoldenFile> shared = GoldenCases.sharedKeras();
        assumeTrue(!shared.isEmpty(), "no shared golden directory beside the checkout");
        return shared.stream().flatMap(this::cases);
    }

    private Stream<DynamicTest> cases(GoldenFile g) {
        assertThat(g.cases()).isNotEmpty();
        return g.cases().stream().flatMap(c -> Stream.of(Input.values()).map(input ->
                DynamicTest.dynamicTest(g.file() + ":" + c.name() + ":" + input, () -> check(g, c, input))));
    }

    private static void check(GoldenFile g, Case c, Input input) {
        Properties props = TokvecTestKit.testProperties("golden");
        props.putAll(settings(c));
        TokvecEnrichment tokvec = TokvecEnrichment.builder(props).build();
        StreamsBuilder builder = new StreamsBuilder();
        tokvec.addModelStore(builder);
        EnrichedStreams<String> out = switch (input) {
            case TOKEN_EVENTS -> tokvec.enrich(builder.stream("events", Consumed.with(Serdes.String(), tokvec.serdes().tokenEvent())));
            case MAPPED_JSON -> tokvec.enrich(builder.stream("json", Consumed.with(Serdes.String(), Serdes.String())),
                    LibraryGoldenTest::fromJson);
        };
        out.enriched().to("enriched", Produced.with(Serdes.String(), tokvec.serdes().enrichedEvent()));
        out.deadLetters().to("dead-letters", Produced.with(Serdes.String(), tokvec.serdes().deadLetter()));

        try (TokvecTestKit kit = TokvecTestKit.of(new TopologyTestDriver(builder.build(), props), tokvec)) {
            kit.publish(VERSION, rows(g), g.tokens());
            for (GoldenCases.Event e : c.events()) {
                switch (input) {
                    case TOKEN_EVENTS -> kit.eventTopic("events", new StringSerializer()).pipeInput(e.id(), TokenEvent.newBuilder()
                            .setId(e.id()).setTokenIds(e.tokenIds()).setTokens(e.tokens()).setWeights(e.weights()).build());
                    case MAPPED_JSON -> kit.driver().createInputTopic("json", new StringSerializer(), new StringSerializer())
                            .pipeInput(e.id(), toJson(e));
                }
            }
            List<KeyValue<String, EnrichedEvent>> got = kit.enrichedTopic("enriched", new StringDeserializer()).readKeyValuesToList();
            assertThat(kit.deadLetterTopic("dead-letters", new StringDeserializer()).isEmpty()).as("no dead letters").isTrue();
            assertThat(got).hasSameSizeAs(c.expected());
            for (int i = 0; i < got.size(); i++) {
                assertThat(got.get(i).key).isEqualTo(c.events().get(i).id());
                assertGolden(c, got.get(i).value, c.expected().get(i), g.dim());
            }
        }
    }

    /** The case's settings: pad_sequences options, OOV buckets and hashing; the table and its model topic. */
    static Map<String, String> settings(Case c) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put(TokvecConfig.TABLE, TABLE);
        p.put(TokvecConfig.TOPIC_MODEL, "golden-model");
        p.put(TokvecConfig.MAX_LEN, Integer.toString(c.maxLen()));
        p.put(TokvecConfig.PADDING, c.padding());
        p.put(TokvecConfig.TRUNCATING, c.truncating());
        p.put(TokvecConfig.PAD_VECTOR, c.padVector());
        p.put(TokvecConfig.POOLING, c.pooling());
        p.put(TokvecConfig.OOV_BUCKETS, Integer.toString(c.oovBuckets()));
        p.put(TokvecConfig.HASHING_BINS, Integer.toString(c.hashingBins()));
        p.put(TokvecConfig.HASHING_MASK, Boolean.toString(c.hashingMask()));
        return p;
    }

    static float[][] rows(GoldenFile g) {
        float[][] rows = new float[g.rows()][g.dim()];
        for (int i = 0; i < g.rows(); i++) {
            System.arraycopy(g.vectors(), i * g.dim(), rows[i], 0, g.dim());
        }
        return rows;
    }

    /** The user's own record: JSON with "token_ids" or "tokens". */
    static String toJson(GoldenCases.Event e) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (e.tokenIds() != null) m.put("token_ids", e.tokenIds());
        if (e.tokens() != null) m.put("tokens", e.tokens());
        try {
            return JSON.writeValueAsString(m);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** The test application's mapper: its JSON records to token events, the key as the event id. */
    static TokenEvent fromJson(String key, String json) {
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TokenEvent.Builder b = TokenEvent.newBuilder().setId(key);
        if (n.has("token_ids")) {
            List<Integer> ids = new ArrayList<>();
            n.get("token_ids").forEach(x -> ids.add(x.asInt()));
            b.setTokenIds(ids);
        }
        if (n.has("tokens")) {
            List<String> tokens = new ArrayList<>();
            n.get("tokens").forEach(x -> tokens.add(x.asText()));
            b.setTokens(tokens);
        }
        return b.build();
    }

    static void assertGolden(Case c, EnrichedEvent o, Expected x, int dim) {
        String what = c.name() + "/" + x.id();
        assertThat(o.getId()).isEqualTo(x.id());
        assertThat(o.getTable()).isEqualTo(TABLE);
        assertThat(o.getTableVersion()).isEqualTo(VERSION);
        assertThat(o.getIds()).as(what + " ids").containsExactly(java.util.Arrays.stream(x.ids()).boxed().toArray(Integer[]::new));
        assertThat(o.getMask()).hasSize(x.mask().length);
        for (int i = 0; i < x.mask().length; i++) {
            assertThat(o.getMask().get(i)).as(what + " mask[" + i + "]").isEqualTo(x.mask()[i]);
        }
        assertThat(o.getLength()).as(what + " length").isEqualTo(x.length());
        assertThat(o.getTruncated()).as(what + " truncated").isEqualTo(x.truncated());
        assertThat(o.getDim()).isEqualTo(dim);
        float[][] got = TokvecTestKit.embeddings(o);
        assertThat(got.length).as(what + " rows").isEqualTo(c.maxLen());
        for (int i = 0; i < got.length; i++) {
            for (int j = 0; j < dim; j++) {
                assertThat(Float.floatToRawIntBits(got[i][j])).as(what + " embeddings[" + i + "][" + j + "]")
                        .isEqualTo(Float.floatToRawIntBits(x.embeddings()[i * dim + j]));
            }
        }
        assertThat(o.getPooled()).as(what + " pooled").isNull();
    }
}
