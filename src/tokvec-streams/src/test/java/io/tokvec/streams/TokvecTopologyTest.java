package io.tokvec.streams;

import io.tokvec.config.TokvecConfig;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.EnrichedEventFloats;
import io.tokvec.avro.TokenEvent;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.testutil.GoldenCases;
import io.tokvec.testutil.GoldenCases.Case;
import io.tokvec.testutil.GoldenCases.Expected;
import io.tokvec.testutil.GoldenCases.GoldenFile;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The enrichment topology under TopologyTestDriver: Keras parity, string and id events, dead letters. */
class TokvecTopologyTest {

    @RegisterExtension
    final TopologyHarnesses topology = new TopologyHarnesses();

    private TopologyHarness harness(Map<String, String> overrides) {
        return topology.start(overrides);
    }

    /** 4 rows x 2 dims: row i = (i + 0.5, -i). Row 0 is padding, row 1 OOV. */
    static EmbeddingTable smallTable(long version) {
        float[] v = new float[8];
        for (int i = 0; i < 4; i++) {
            v[2 * i] = i + 0.5f + version * 100;
            v[2 * i + 1] = -i;
        }
        return EmbeddingTable.fromFloats(TopologyHarness.TABLE, version, 4, 2, v, List.of("", "[UNK]", "cat", "dog"));
    }

    static float[] floats(ByteBuffer b) {
        ByteBuffer le = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[le.remaining() / 4];
        for (int i = 0; i < f.length; i++) f[i] = le.getFloat();
        return f;
    }

    @TestFactory
    Stream<DynamicTest> shouldMatchKerasGoldenIdCasesThroughTheTopology() {
        return golden(GoldenCases.IDS);
    }

    @TestFactory
    Stream<DynamicTest> shouldMatchKerasGoldenStringCasesThroughTheTopology() {
        return golden(GoldenCases.STRINGS);
    }

    /**
     * The Keras cases of the shared golden directory beside the checkout, where there is one: the same
     * semantics computed elsewhere, as a cross-check of the repository's own files (skipped without it).
     */
    @TestFactory
    Stream<DynamicTest> shouldMatchTheSharedKerasCasesThroughTheTopologyWhereTheyExist() {
        List<GoldenFile> shared = GoldenCases.sharedKeras();
        assumeTrue(!shared.isEmpty(), "no shared golden directory beside the checkout");
        return shared.stream().flatMap(this::golden);
    }

    private Stream<DynamicTest> golden(String file) {
        return golden(GoldenCases.load(file));
    }

    private Stream<DynamicTest> golden(GoldenFile g) {
        String file = g.file();
        return g.cases().stream().map(c -> DynamicTest.dynamicTest(file + ":" + c.name(), () -> {
            TopologyHarness h = harness(caseProps(c));
            h.publish(g.table(TopologyHarness.TABLE, 7));
            pipeAndCheck(h, c, g.dim());
        }));
    }

    /** The settings of a golden case: pad_sequences options, pooling, OOV buckets and hashing. */
    static Map<String, String> caseProps(Case c) {
        Map<String, String> p = new java.util.HashMap<>(Map.of(TokvecConfig.MAX_LEN, Integer.toString(c.maxLen()),
                TokvecConfig.PADDING, c.padding(), TokvecConfig.TRUNCATING, c.truncating(),
                TokvecConfig.PAD_VECTOR, c.padVector()));
        p.put(TokvecConfig.POOLING, c.pooling());
        p.put(TokvecConfig.OOV_BUCKETS, Integer.toString(c.oovBuckets()));
        p.put(TokvecConfig.HASHING_BINS, Integer.toString(c.hashingBins()));
        p.put(TokvecConfig.HASHING_MASK, Boolean.toString(c.hashingMask()));
        return p;
    }

    /** Pipes the case's events into a harness whose table (version 7) is published, and checks every output. */
    static void pipeAndCheck(TopologyHarness h, Case c, int dim) {
        for (GoldenCases.Event e : c.events()) {
            h.pipe(TokenEvent.newBuilder().setId(e.id()).setTokenIds(e.tokenIds()).setTokens(e.tokens())
                    .setWeights(e.weights()).build());
        }
        List<EnrichedEvent> out = h.outputs();
        assertThat(h.dlq.isEmpty()).as("no dead letters").isTrue();
        assertThat(out).hasSameSizeAs(c.expected());
        for (int i = 0; i < out.size(); i++) {
            assertGolden(c, out.get(i), c.expected().get(i), dim);
        }
    }

    static void assertGolden(Case c, EnrichedEvent o, Expected x, int dim) {
        String what = c.name() + "/" + x.id();
        assertThat(o.getId()).isEqualTo(x.id());
        assertThat(o.getTable()).isEqualTo(TopologyHarness.TABLE);
        assertThat(o.getTableVersion()).isEqualTo(7L);
        assertThat(o.getIds()).as(what + " ids").containsExactly(java.util.Arrays.stream(x.ids()).boxed().toArray(Integer[]::new));
        Boolean[] mask = new Boolean[x.mask().length];
        for (int i = 0; i < mask.length; i++) mask[i] = x.mask()[i];
        assertThat(o.getMask()).as(what + " mask").containsExactly(mask);
        assertThat(o.getLength()).as(what + " length").isEqualTo(x.length());
        assertThat(o.getTruncated()).as(what + " truncated").isEqualTo(x.truncated());
        assertThat(o.getDim()).isEqualTo(dim);
        float[] got = floats(o.getEmbeddings());
        assertThat(got.length).isEqualTo(x.embeddings().length).isEqualTo(c.maxLen() * dim);
        assertBits(what + " embeddings", got, x.embeddings());
        if (x.pooled() == null) {
            assertThat(o.getPooled()).as(what + " pooled").isNull();
        } else {
            assertBits(what + " pooled", floats(o.getPooled()), x.pooled());
        }
    }

    /** Floats compared by their bits: parity means the same float32 values, not close ones. */
    static void assertBits(String what, float[] got, float[] expected) {
        assertThat(got).as(what + " size").hasSameSizeAs(expected);
        for (int k = 0; k < got.length; k++) {
            assertThat(Float.floatToRawIntBits(got[k])).as(what + "[" + k + "]").isEqualTo(Float.floatToRawIntBits(expected[k]));
        }
    }

    @Test
    void shouldEnrichIdEventsWithTheTableThatArrivedOnTheModelTopic() {
        TopologyHarness h = harness(Map.of());
        h.publish(smallTable(1));
        h.pipeIds("a", 2, 3);
        EnrichedEvent o = h.outputs().get(0);
        assertThat(o.getIds()).containsExactly(0, 0, 2, 3);
        assertThat(o.getMask()).containsExactly(false, false, true, true);
        assertThat(o.getLength()).isEqualTo(2);
        assertThat(o.getTruncated()).isFalse();
        assertThat(o.getDim()).isEqualTo(2);
        assertThat(o.getTableVersion()).isEqualTo(1L);
        assertThat(floats(o.getEmbeddings())).containsExactly(100.5f, 0f, 100.5f, 0f, 102.5f, -2f, 103.5f, -3f);
    }

    @Test
    void shouldMapStringTokensThroughTheVocabularyWhenEventsCarryTokens() {
        TopologyHarness h = harness(Map.of(TokvecConfig.PADDING, "post", TokvecConfig.PAD_VECTOR, "zeros"));
        h.publish(smallTable(1));
        h.pipeTokens("s", "dog", "zebra", "", "cat");
        EnrichedEvent o = h.outputs().get(0);
        assertThat(o.getIds()).containsExactly(3, 1, 0, 2);
        assertThat(o.getMask()).containsExactly(true, true, false, true);
        assertThat(floats(o.getEmbeddings())).containsExactly(103.5f, -3f, 101.5f, -1f, 0f, 0f, 102.5f, -2f);
        assertThat(h.metrics.oovTokenCount()).isEqualTo(1);
    }

    @Test
    void shouldKeepTheLastTokensWhenTruncatingPre() {
        TopologyHarness h = harness(Map.of(TokvecConfig.MAX_LEN, "2"));
        h.publish(smallTable(1));
        h.pipeIds("t", 1, 2, 3);
        EnrichedEvent o = h.outputs().get(0);
        assertThat(o.getIds()).containsExactly(2, 3);
        assertThat(o.getLength()).isEqualTo(2);
        assertThat(o.getTruncated()).isTrue();
    }

    @Test
    void shouldKeepTheFirstTokensWhenTruncatingPost() {
        TopologyHarness h = harness(Map.of(TokvecConfig.MAX_LEN, "2", TokvecConfig.TRUNCATING, "post"));
        h.publish(smallTable(1));
        h.pipeIds("t", 1, 2, 3);
        EnrichedEvent o = h.outputs().get(0);
        assertThat(o.getIds()).containsExactly(1, 2);
        assertThat(o.getTruncated()).isTrue();
        assertThat(floats(o.getEmbeddings())).containsExactly(101.5f, -1f, 102.5f, -2f);
    }

    @Test
    void shouldEmitAllPaddingWhenTheEventIsEmpty() {
        TopologyHarness h = harness(Map.of());
        h.publish(smallTable(1));
        h.pipeIds("empty");
        h.pipeTokens("empty-strings");
        List<EnrichedEvent> out = h.outputs();
        assertThat(out).hasSize(2);
        for (EnrichedEvent o : out) {
            assertThat(o.getIds()).containsExactly(0, 0, 0, 0);
            assertThat(o.getMask()).containsExactly(false, false, false, false);
            assertThat(o.getLength()).isZero();
            assertThat(o.getTruncated()).isFalse();
            assertThat(floats(o.getEmbeddings())).containsExactly(100.5f, 0f, 100.5f, 0f, 100.5f, 0f, 100.5f, 0f);
        }
    }

    @Test
    void shouldDeadLetterOutOfRangeIdsWithTheIdInTheReason() {
        TopologyHarness h = harness(Map.of());
        h.publish(smallTable(1));
        h.pipeIds("bad", 2, 99);
        h.pipeIds("neg", -3);
        h.pipeIds("good", 2);
        assertThat(h.outputs()).extracting(EnrichedEvent::getId).containsExactly("good");
        List<DeadLetter> dls = h.deadLetters();
        assertThat(dls).hasSize(2);
        assertThat(dls.get(0).getReason()).isEqualTo("ID_OUT_OF_RANGE");
        assertThat(dls.get(0).getMessage()).contains("token id 99").contains("position 1");
        assertThat(dls.get(0).getEventId()).isEqualTo("bad");
        assertThat(dls.get(0).getTopic()).isEqualTo(TopologyHarness.INPUT);
        assertThat(dls.get(0).getOffset()).isEqualTo(0L);
        assertThat(dls.get(0).getTableVersion()).isEqualTo(1L);
        assertThat(dls.get(1).getMessage()).contains("token id -3");
        assertThat(dls.get(1).getOffset()).isEqualTo(1L);
        assertThat(h.metrics.deadLetterCount(DeadLetterReason.ID_OUT_OF_RANGE)).isEqualTo(2);
    }

    @Test
    void shouldMapOutOfRangeIdsToTheOovRowWhenOovIsUnk() {
        TopologyHarness h = harness(Map.of(TokvecConfig.OOV, "unk"));
        h.publish(smallTable(1));
        h.pipeIds("x", 99, -1, 3);
        EnrichedEvent o = h.outputs().get(0);
        assertThat(o.getIds()).containsExactly(0, 1, 1, 3);
        assertThat(h.dlq.isEmpty()).isTrue();
    }

    @Test
    void shouldDeadLetterUndecodableBytesWithTheOriginalBytes() {
        TopologyHarness h = harness(Map.of());
        h.publish(smallTable(1));
        byte[] json = "{\"id\":\"x\"}".getBytes();
        byte[] garbage = {0, 0, 0, 0, 1, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        h.input.pipeInput("k1".getBytes(), json);
        h.input.pipeInput("k2".getBytes(), garbage);
        h.input.pipeInput("k3".getBytes(), new byte[] {0, 1});
        h.pipeIds("ok", 3);
        assertThat(h.outputs()).extracting(EnrichedEvent::getId).containsExactly("ok");
        List<DeadLetter> dls = h.deadLetters();
        assertThat(dls).extracting(DeadLetter::getReason).containsExactly("BAD_MAGIC", "UNDECODABLE", "UNDECODABLE");
        assertThat(dls.get(0).getValue()).isEqualTo(ByteBuffer.wrap(json));
        assertThat(dls.get(0).getKey()).isEqualTo(ByteBuffer.wrap("k1".getBytes()));
        assertThat(dls.get(1).getValue()).isEqualTo(ByteBuffer.wrap(garbage));
        assertThat(dls).extracting(DeadLetter::getOffset).containsExactly(0L, 1L, 2L);
    }

    @Test
    void shouldDeadLetterNoTableWhenNoVersionIsActive() {
        TopologyHarness h = harness(Map.of());
        h.pipeIds("early", 1);
        List<DeadLetter> dls = h.deadLetters();
        assertThat(dls).hasSize(1);
        assertThat(dls.get(0).getReason()).isEqualTo("NO_TABLE");
        assertThat(dls.get(0).getEventId()).isEqualTo("early");
        assertThat(h.output.isEmpty()).isTrue();
        h.publish(smallTable(1));
        h.pipeIds("late", 1);
        assertThat(h.outputs()).extracting(EnrichedEvent::getId).containsExactly("late");
    }

    @Test
    void shouldDeadLetterEventsWithNeitherOrBothTokenFieldsAndNullValues() {
        TopologyHarness h = harness(Map.of());
        h.publish(smallTable(1));
        h.pipe(TokenEvent.newBuilder().setId("none").build());
        h.pipe(TokenEvent.newBuilder().setId("both").setTokenIds(List.of(1)).setTokens(List.of("cat")).build());
        h.input.pipeInput("k".getBytes(), (byte[]) null);
        assertThat(h.deadLetters()).extracting(DeadLetter::getReason).containsExactly("NO_TOKENS", "BOTH_TOKENS", "NULL_VALUE");
        assertThat(h.output.isEmpty()).isTrue();
    }

    @Test
    void shouldDeadLetterStringEventsWhenTheTableHasNoVocabulary() {
        TopologyHarness h = harness(Map.of());
        h.publish(EmbeddingTable.fromFloats(TopologyHarness.TABLE, 1, 2, 1, new float[] {0f, 1f}, null));
        h.pipeTokens("s", "cat");
        assertThat(h.deadLetters()).extracting(DeadLetter::getReason).containsExactly("NO_VOCABULARY");
    }

    @Test
    void shouldDeadLetterEventsOverTheTokenLimit() {
        TopologyHarness h = harness(Map.of(TokvecConfig.MAX_TOKENS, "3"));
        h.publish(smallTable(1));
        h.pipeIds("long", 1, 2, 3, 1);
        h.pipeIds("fine", 1, 2, 3);
        assertThat(h.deadLetters()).extracting(DeadLetter::getReason).containsExactly("TOO_MANY_TOKENS");
        assertThat(h.outputs()).extracting(EnrichedEvent::getId).containsExactly("fine");
    }

    @Test
    void shouldDeadLetterAnOutputOverTheProducersRequestSizeBeforeSendingIt() {
        // 2048 x 2 float32 = 16 KiB of embeddings: over a 10,000-byte max.request.size; 512 x 2 is not
        TopologyHarness h = harness(Map.of(TokvecConfig.MAX_LEN, "2048", "producer.max.request.size", "10000"));
        h.publish(smallTable(1));
        h.pipeIds("big", 1, 2, 3);
        assertThat(h.deadLetters()).singleElement().satisfies(d -> {
            assertThat(d.getReason()).isEqualTo("OUTPUT_TOO_LARGE");
            assertThat(d.getEventId()).isEqualTo("big");
            assertThat(d.getMessage()).contains("max.request.size=10000", "max_len 2048 x dim 2");
        });
        assertThat(h.outputs()).isEmpty();

        TopologyHarness fits = harness(Map.of(TokvecConfig.MAX_LEN, "512", "producer.max.request.size", "10000"));
        fits.publish(smallTable(1));
        fits.pipeIds("fits", 1, 2, 3);
        assertThat(fits.deadLetters()).isEmpty();
        assertThat(fits.outputs()).extracting(EnrichedEvent::getId).containsExactly("fits");
    }

    @Test
    void shouldWriteAnArrayOfFloatsWhenOutputEncodingIsFloats() {
        TopologyHarness h = harness(Map.of(TokvecConfig.OUTPUT_ENCODING, "floats", TokvecConfig.MAX_LEN, "2"));
        h.publish(smallTable(1));
        h.pipeIds("f", 3);
        EnrichedEventFloats o = h.floatOutputs().get(0);
        assertThat(o.getEmbeddings()).containsExactly(100.5f, 0f, 103.5f, -3f);
        assertThat(o.getIds()).containsExactly(0, 3);
    }

    @Test
    void shouldCarryEventMetadataAndKeyThrough() {
        TopologyHarness h = harness(Map.of());
        h.publish(smallTable(1));
        h.pipe(TokenEvent.newBuilder().setId("m").setTokenIds(List.of(2)).setTimestampMs(42L)
                .setMetadata(Map.of("user", "u1")).build());
        var rec = h.output.readRecord();
        assertThat(new String(rec.key())).isEqualTo("m");
        EnrichedEvent o = new io.tokvec.serde.ConfluentAvroDeserializer<>(EnrichedEvent.class, h.registryClient, false)
                .deserialize(TopologyHarness.OUTPUT, rec.value());
        assertThat(o.getTimestampMs()).isEqualTo(42L);
        assertThat(o.getMetadata()).containsEntry("user", "u1");
    }
}
