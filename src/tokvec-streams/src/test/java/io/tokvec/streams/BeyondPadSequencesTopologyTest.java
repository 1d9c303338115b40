package io.tokvec.streams;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.EnrichedEventFloats;
import io.tokvec.avro.TokenEvent;
import io.tokvec.config.TokvecConfig;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.tables.ShardedTables;
import io.tokvec.tables.TableFiles;
import io.tokvec.testutil.GoldenCases;
import io.tokvec.testutil.GoldenCases.Case;
import io.tokvec.testutil.GoldenCases.Event;
import io.tokvec.testutil.GoldenCases.Expected;
import io.tokvec.testutil.GoldenCases.GoldenFile;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * "Parity beyond pad_sequences" through the topology (TopologyTestDriver, real serdes): pooling,
 * weights, the sequence switch, the PyTorch preset, OOV buckets, hashing, a sharded table, and the
 * dead letters of weights and tables that do not fit.
 */
class BeyondPadSequencesTopologyTest {

    @TempDir
    Path stateDir;

    @RegisterExtension
    final TopologyHarnesses topology = new TopologyHarnesses();

    private TopologyHarness harness(Map<String, String> overrides) {
        return topology.start(overrides);
    }

    private Stream<DynamicTest> golden(GoldenFile g, EmbeddingTable table) {
        return g.cases().stream().map(c -> DynamicTest.dynamicTest(g.file() + ":" + c.name(), () -> {
            TopologyHarness h = harness(TokvecTopologyTest.caseProps(c));
            h.publish(table);
            TokvecTopologyTest.pipeAndCheck(h, c, g.dim());
        }));
    }

    private Stream<DynamicTest> golden(String resource) {
        GoldenFile g = GoldenCases.loadResource(resource);
        return golden(g, g.table(TopologyHarness.TABLE, 7));
    }

    @TestFactory
    Stream<DynamicTest> shouldMatchTorchEmbeddingBagThroughTheTopologyWhenPooling() {
        return golden(GoldenCases.POOLING);
    }

    @TestFactory
    Stream<DynamicTest> shouldMatchTorchPadSequenceThroughTheTopologyWithThePytorchPreset() {
        return golden(GoldenCases.TORCH_PRESET);
    }

    @TestFactory
    Stream<DynamicTest> shouldMatchStringLookupOovBucketsThroughTheTopology() {
        return golden(GoldenCases.OOV_BUCKETS);
    }

    @TestFactory
    Stream<DynamicTest> shouldMatchKerasHashingThroughTheTopology() {
        return golden(GoldenCases.HASHING);
    }

    @TestFactory
    Stream<DynamicTest> shouldPoolTheTableReassembledFromShardsLikeTheWholeTable() throws IOException {
        GoldenFile g = GoldenCases.loadResource(GoldenCases.POOLING);
        List<Path> shards = new ArrayList<>();
        for (int p = 0; p < 4; p++) {
            shards.add(GoldenCases.copyResource("shards/pooling-mod-4-" + p + ".npy", stateDir));
        }
        EmbeddingTable table = TableFiles.loadShards(shards, ShardedTables.Strategy.MOD, null, TopologyHarness.TABLE, 7, false);
        GoldenFile sumCases = new GoldenFile(g.file(), g.rows(), g.dim(), g.vectors(), g.tokens(),
                g.cases().stream().filter(c -> c.name().startsWith("sum-")).toList());
        assertThat(sumCases.cases()).hasSize(12);
        return golden(sumCases, table);
    }

    @Test
    void shouldWritePooledFloatsAndNoSequenceWhenSequenceIsOffWithFloatsEncoding() {
        GoldenFile g = GoldenCases.loadResource(GoldenCases.POOLING);
        Case c = g.cases().stream().filter(x -> x.name().equals("sum-weighted-max12-post-pre")).findFirst().orElseThrow();
        Map<String, String> props = TokvecTopologyTest.caseProps(c);
        props.put(TokvecConfig.OUTPUT_SEQUENCE, "false");
        props.put(TokvecConfig.OUTPUT_ENCODING, "floats");
        TopologyHarness h = harness(props);
        h.publish(g.table(TopologyHarness.TABLE, 7));
        for (Event e : c.events()) {
            h.pipe(TokenEvent.newBuilder().setId(e.id()).setTokenIds(e.tokenIds()).setWeights(e.weights()).build());
        }
        List<EnrichedEventFloats> out = h.floatOutputs();
        assertThat(out).hasSameSizeAs(c.expected());
        for (int i = 0; i < out.size(); i++) {
            EnrichedEventFloats o = out.get(i);
            Expected x = c.expected().get(i);
            assertThat(o.getEmbeddings()).as(x.id()).isEmpty();
            assertThat(o.getLength()).isEqualTo(x.length());
            float[] pooled = new float[o.getPooled().size()];
            for (int k = 0; k < pooled.length; k++) pooled[k] = o.getPooled().get(k);
            TokvecTopologyTest.assertBits(x.id() + " pooled", pooled, x.pooled());
        }
    }

    @Test
    void shouldWriteEmptyEmbeddingBytesWhenSequenceIsOff() {
        TopologyHarness h = harness(Map.of(TokvecConfig.POOLING, "max", TokvecConfig.OUTPUT_SEQUENCE, "false"));
        h.publish(TokvecTopologyTest.smallTable(1));
        h.pipeIds("m", 2, 0, 3);
        EnrichedEvent o = h.outputs().get(0);
        assertThat(o.getEmbeddings().remaining()).isZero();
        assertThat(o.getIds()).containsExactly(0, 2, 0, 3);
        // rows 2 = (102.5, -2) and 3 = (103.5, -3)
        assertThat(TokvecTopologyTest.floats(o.getPooled())).containsExactly(103.5f, -2f);
    }

    @Test
    void shouldDeadLetterWeightsThatDoNotFitTheTokens() {
        TopologyHarness h = harness(Map.of(TokvecConfig.POOLING, "sum"));
        h.publish(TokvecTopologyTest.smallTable(1));
        h.pipe(TokenEvent.newBuilder().setId("w").setTokenIds(List.of(2, 3)).setWeights(List.of(1f, 2f, 3f)).build());
        DeadLetter dl = h.deadLetters().get(0);
        assertThat(dl.getReason()).isEqualTo("BAD_WEIGHTS");
        assertThat(dl.getMessage()).isEqualTo("weights has 3 values but the event has 2 tokens (one weight per token)");
        assertThat(dl.getEventId()).isEqualTo("w");
        assertThat(h.output.isEmpty()).isTrue();
    }

    @Test
    void shouldDeadLetterWeightsWhenThePoolingIsNotSum() {
        TopologyHarness h = harness(Map.of(TokvecConfig.POOLING, "mean"));
        h.publish(TokvecTopologyTest.smallTable(1));
        h.pipe(TokenEvent.newBuilder().setId("w").setTokens(List.of("cat")).setWeights(List.of(1f)).build());
        DeadLetter dl = h.deadLetters().get(0);
        assertThat(dl.getReason()).isEqualTo("BAD_WEIGHTS");
        assertThat(dl.getMessage()).contains("sum pooling only, but tokvec.pooling=mean");
    }

    @Test
    void shouldDeadLetterStringEventsWhenTheTableDoesNotFitTheHashingBins() {
        TopologyHarness h = harness(Map.of(TokvecConfig.HASHING_BINS, "8"));
        h.publish(TokvecTopologyTest.smallTable(1));
        h.pipeTokens("s", "cat");
        h.pipeIds("i", 2);
        DeadLetter dl = h.deadLetters().get(0);
        assertThat(dl.getReason()).isEqualTo("TABLE_MISMATCH");
        assertThat(dl.getMessage()).contains("tokvec.hashing.bins=8").contains("has a vocabulary");
        assertThat(h.outputs()).extracting(EnrichedEvent::getId).containsExactly("i");
    }

    @Test
    void shouldDeadLetterStringEventsWhenTheVocabularyHasOtherOovRowsThanTheBuckets() {
        TopologyHarness h = harness(Map.of(TokvecConfig.OOV_BUCKETS, "4"));
        h.publish(TokvecTopologyTest.smallTable(1));
        h.pipeTokens("s", "dog");
        DeadLetter dl = h.deadLetters().get(0);
        assertThat(dl.getReason()).isEqualTo("TABLE_MISMATCH");
        assertThat(dl.getMessage()).contains("tokvec.oov.buckets=4").contains("has 1 OOV row (rows 1..1 hold '[UNK]')");
    }
}
