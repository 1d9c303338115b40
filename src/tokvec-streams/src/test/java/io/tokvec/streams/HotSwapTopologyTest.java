package io.tokvec.streams;

import io.tokvec.config.TokvecConfig;

import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TableChunk;
import io.tokvec.avro.TableCommit;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.TableChecksum;
import io.tokvec.model.ModelChunker;
import io.tokvec.model.ModelKey;
import io.tokvec.model.TableRejectedException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The swap guarantees (src/site/markdown/model-topic.md) under TopologyTestDriver. */
class HotSwapTopologyTest {

    /** A chunk budget of two rows of the test tables (dim 2, no vocabulary tokens beyond 5 + 5 bytes). */
    static final int TWO_ROWS = 2 * (2 * 4 + 5 + 5);

    @RegisterExtension
    final TopologyHarnesses topology = new TopologyHarnesses();

    private TopologyHarness harness(Map<String, String> overrides) {
        return topology.start(overrides);
    }

    /** 8 rows x 2 dims whose values encode the version: row i = (version * 1000 + i, -i). */
    static EmbeddingTable table(long version) {
        int rows = 8;
        float[] v = new float[rows * 2];
        List<String> vocab = new ArrayList<>(List.of("", "[UNK]"));
        for (int i = 0; i < rows; i++) {
            v[2 * i] = version * 1000 + i;
            v[2 * i + 1] = -i;
            if (i >= 2) vocab.add("w" + i);
        }
        return EmbeddingTable.fromFloats(TopologyHarness.TABLE, version, rows, 2, v, vocab);
    }

    static ModelChunker chunker(long version) {
        return new ModelChunker(table(version), TWO_ROWS);
    }

    /** Asserts each output names one version and every value comes from that version's table. */
    static void assertConsistent(List<EnrichedEvent> out) {
        for (EnrichedEvent o : out) {
            float[] f = TokvecTopologyTest.floats(o.getEmbeddings());
            for (int p = 0; p < o.getIds().size(); p++) {
                int id = o.getIds().get(p);
                assertThat(f[2 * p]).as(o.getId() + " position " + p).isEqualTo(o.getTableVersion() * 1000 + id);
                assertThat(f[2 * p + 1]).isEqualTo((float) -id);
            }
        }
    }

    @Test
    void shouldEnrichWithExactlyOneVersionBeforeDuringAndAfterASwap() {
        TopologyHarness h = harness(Map.of());
        h.publish(table(1));
        h.pipeIds("before", 2, 3);
        ModelChunker v2 = chunker(2);
        assertThat(v2.chunkCount()).isEqualTo(4);
        h.send(v2.chunk(0));
        h.send(v2.chunk(1));
        h.pipeIds("during-1", 4, 5);
        h.send(v2.chunk(2));
        h.send(v2.chunk(3));
        h.pipeIds("during-2", 6, 7);
        h.send(v2.commit(Map.of()));
        h.pipeIds("after-1", 2, 7);
        h.pipeIds("after-2", 3);
        List<EnrichedEvent> out = h.outputs();
        assertThat(out).extracting(EnrichedEvent::getId).containsExactly("before", "during-1", "during-2", "after-1", "after-2");
        assertThat(out).extracting(EnrichedEvent::getTableVersion).containsExactly(1L, 1L, 1L, 2L, 2L);
        assertConsistent(out);
        assertThat(h.registry.swapCount()).isEqualTo(2);
    }

    @Test
    void shouldWaitForMissingChunksWhenTheCommitArrivesFirst() {
        TopologyHarness h = harness(Map.of());
        h.publish(table(1));
        ModelChunker v2 = chunker(2);
        h.send(v2.commit(Map.of()));
        h.send(v2.chunk(0));
        h.send(v2.chunk(2));
        h.send(v2.chunk(3));
        h.pipeIds("missing-one", 2);
        assertThat(h.registry.describeVersions()).containsEntry(2L, "waiting:3/4");
        h.send(v2.chunk(1));
        h.pipeIds("complete", 2);
        assertThat(h.outputs()).extracting(EnrichedEvent::getTableVersion).containsExactly(1L, 2L);
        assertThat(h.registry.rejectedCount()).isZero();
    }

    @Test
    void shouldNeverActivateAVersionWithAMissingChunk() {
        TopologyHarness h = harness(Map.of());
        h.publish(table(1));
        ModelChunker v2 = chunker(2);
        h.send(v2.chunk(0));
        h.send(v2.chunk(1));
        h.send(v2.chunk(3));
        h.send(v2.commit(Map.of()));
        h.pipeIds("e", 2);
        assertThat(h.outputs()).extracting(EnrichedEvent::getTableVersion).containsExactly(1L);
        assertThat(h.registry.activeVersion()).isEqualTo(1);
    }

    @Test
    void shouldRejectAVersionWithAWrongChecksum() {
        TopologyHarness h = harness(Map.of());
        h.publish(table(1));
        ModelChunker v2 = chunker(2);
        for (int i = 0; i < v2.chunkCount(); i++) h.send(v2.chunk(i));
        ModelRecord commit = v2.commit(Map.of()).record();
        TableCommit c = (TableCommit) commit.getBody();
        c.setChecksum(chunker(3).commit(Map.of()).record().getBody() instanceof TableCommit o ? o.getChecksum() : "");
        h.sendModel(ModelKey.commit(TopologyHarness.TABLE, 2).topicKey(), commit);
        h.pipeIds("e", 2);
        assertThat(h.outputs()).extracting(EnrichedEvent::getTableVersion).containsExactly(1L);
        assertThat(h.registry.rejectedCount(Reason.CHECKSUM_MISMATCH)).isEqualTo(1);
    }

    @Test
    void shouldRejectAVersionWhoseChunksHaveAnotherDim() {
        TopologyHarness h = harness(Map.of());
        h.publish(table(1));
        ModelChunker v2 = chunker(2);
        for (int i = 0; i < v2.chunkCount(); i++) h.send(v2.chunk(i));
        ModelRecord commit = v2.commit(Map.of()).record();
        ((TableCommit) commit.getBody()).setDim(4);
        ((TableCommit) commit.getBody()).setRows(4);
        h.sendModel(ModelKey.commit(TopologyHarness.TABLE, 2).topicKey(), commit);
        h.pipeIds("e", 2);
        assertThat(h.outputs()).extracting(EnrichedEvent::getTableVersion).containsExactly(1L);
        assertThat(h.registry.rejectedCount(Reason.WRONG_DIM)).isEqualTo(1);
    }

    @Test
    void shouldRejectAVersionHoldingNaN() {
        TopologyHarness h = harness(Map.of());
        h.publish(table(1));
        EmbeddingTable nan = EmbeddingTable.fromFloats(TopologyHarness.TABLE, 2, 2, 2, new float[] {0, 0, Float.NaN, 1}, null);
        h.publish(nan);
        h.pipeIds("e", 1);
        assertThat(h.outputs()).extracting(EnrichedEvent::getTableVersion).containsExactly(1L);
        assertThat(h.registry.rejectedCount(Reason.NON_FINITE)).isEqualTo(1);
    }

    @Test
    void shouldAcceptNaNWhenAllowed() {
        TopologyHarness h = harness(Map.of(TokvecConfig.TABLE_ALLOW_NONFINITE, "true"));
        h.publish(EmbeddingTable.fromFloats(TopologyHarness.TABLE, 2, 2, 2, new float[] {0, 0, Float.NaN, 1}, null));
        assertThat(h.registry.activeVersion()).isEqualTo(2);
    }

    @Test
    void shouldRejectATableOverTheSizeLimit() {
        TopologyHarness h = harness(Map.of(TokvecConfig.TABLE_MAX_BYTES, "32"));
        h.publish(table(1)); // 8 x 2 x 4 = 64 bytes, in one chunk
        assertThat(h.registry.activeVersion()).isEqualTo(-1);
        // each record is refused before anything is stored for it: the chunk (rows beyond the limit) and the commit
        assertThat(h.registry.rejectedCount(Reason.TOO_LARGE)).isEqualTo(2);
        assertThat(h.registry.recentRejections()).extracting(r -> r.message())
                .containsExactly("emb v1: chunk 0 covers rows [0, 8), beyond the 4 rows a table of dim 2 may have within"
                                + " tokvec.table.max.bytes=32 (float32)",
                        "emb v1: 8 x 2 float32 is 64 bytes, over tokvec.table.max.bytes=32");
    }

    @Test
    void shouldRejectAVersionWithATokenTwiceWhetherOrNotItsVocabularyChecksumSaysSo() {
        // rows 4 and 5 (chunk 2) become "w4", "w2": row 5 repeats row 2
        List<String> tampered = List.of("", "[UNK]", "w2", "w3", "w4", "w2", "w6", "w7");
        for (boolean checksumOfTheTamperedTokens : new boolean[] {true, false}) {
            TopologyHarness h = harness(Map.of());
            h.publish(table(1));
            ModelChunker v2 = chunker(2);
            for (int i = 0; i < v2.chunkCount(); i++) {
                ModelRecord r = v2.chunk(i).record();
                if (i == 2) ((TableChunk) r.getBody()).setTokens(List.of("w4", "w2"));
                h.sendModel(ModelKey.chunk(TopologyHarness.TABLE, 2, i).topicKey(), r);
            }
            ModelRecord commit = v2.commit(Map.of()).record();
            if (checksumOfTheTamperedTokens) {
                ((TableCommit) commit.getBody()).setVocabChecksum(TableChecksum.ofVocabulary(tampered));
            }
            h.sendModel(ModelKey.commit(TopologyHarness.TABLE, 2).topicKey(), commit);

            assertThat(h.registry.activeVersion()).isEqualTo(1);
            assertThat(h.registry.rejectedCount(Reason.VOCAB_MISMATCH)).isEqualTo(1);
            String message = h.registry.recentRejections().get(0).message();
            if (checksumOfTheTamperedTokens) {
                assertThat(message).isEqualTo("emb v2: vocabulary token 'w2' appears twice (rows 2 and 5)");
            } else {
                assertThat(message).startsWith("emb v2: vocabulary checksum is " + TableChecksum.ofVocabulary(tampered)
                        + " but the commit says sha256:");
            }
            h.pipeTokens("e", "w2", "w7");
            assertThat(h.outputs()).extracting(EnrichedEvent::getTableVersion).containsExactly(1L);
        }
    }

    @Test
    void shouldRejectAVersionWhoseVocabularyDoesNotMatchItsRows() {
        TopologyHarness h = harness(Map.of());
        h.publish(table(1));
        ModelChunker v2 = chunker(2);
        for (int i = 0; i < v2.chunkCount(); i++) {
            ModelRecord r = v2.chunk(i).record();
            if (i == 1) ((TableChunk) r.getBody()).setTokens(List.of("only-one"));
            h.sendModel(ModelKey.chunk(TopologyHarness.TABLE, 2, i).topicKey(), r);
        }
        h.send(v2.commit(Map.of()));
        assertThat(h.registry.activeVersion()).isEqualTo(1);
        assertThat(h.registry.rejectedCount(Reason.VOCAB_MISMATCH)).isEqualTo(1);
    }

    @Test
    void shouldNeverActivateAVersionWithAnUndecodableChunk() {
        TopologyHarness h = harness(Map.of());
        h.publish(table(1));
        ModelChunker v2 = chunker(2);
        for (int i = 0; i < v2.chunkCount(); i++) {
            if (i == 2) h.pipeModel(ModelKey.chunk(TopologyHarness.TABLE, 2, i).topicKey(), new byte[] {0, 0, 0, 0, 9, 9});
            else h.send(v2.chunk(i));
        }
        h.send(v2.commit(Map.of()));
        assertThat(h.registry.activeVersion()).isEqualTo(1);
        assertThat(h.registry.rejectedCount(Reason.UNDECODABLE)).isEqualTo(1);
    }

    @Test
    void shouldRejectACommitWhoseVersionGoesBackwards() {
        TopologyHarness h = harness(Map.of());
        h.publish(table(3));
        h.publish(table(2));
        assertThat(h.registry.activeVersion()).isEqualTo(3);
        assertThat(h.registry.rejectedCount(Reason.VERSION_NOT_NEWER)).isEqualTo(1);
    }

    @Test
    void shouldIgnoreARepeatedCommitAndRefuseADifferentOneForTheSameVersion() {
        TopologyHarness h = harness(Map.of());
        h.publish(table(1));
        h.send(new ModelChunker(table(1), ModelChunker.DEFAULT_CHUNK_BYTES).commit(Map.of()));
        assertThat(h.registry.rejectedCount()).isZero();
        ModelRecord other = chunker(5).commit(Map.of()).record();
        other.setVersion(1L);
        h.sendModel(ModelKey.commit(TopologyHarness.TABLE, 1).topicKey(), other);
        assertThat(h.registry.rejectedCount(Reason.DUPLICATE_VERSION)).isEqualTo(1);
        assertThat(h.registry.activeVersion()).isEqualTo(1);
    }

    @Test
    void shouldRollBackToARetainedVersionOnAnActivateRecord() {
        TopologyHarness h = harness(Map.of());
        h.publish(table(1));
        h.publish(table(2));
        h.pipeIds("on-2", 2);
        h.send(ModelChunker.activate(TopologyHarness.TABLE, 1, "bad model"));
        h.pipeIds("rolled-back", 2);
        h.publish(table(3));
        h.pipeIds("on-3", 2);
        List<EnrichedEvent> out = h.outputs();
        assertThat(out).extracting(EnrichedEvent::getTableVersion).containsExactly(2L, 1L, 3L);
        assertConsistent(out);
    }

    @Test
    void shouldRefuseToActivateAVersionNoLongerRetained() {
        TopologyHarness h = harness(Map.of(TokvecConfig.RETAIN_VERSIONS, "2"));
        h.publish(table(1));
        h.publish(table(2));
        h.publish(table(3));
        assertThat(h.registry.describeVersions()).containsOnlyKeys(2L, 3L);
        h.send(ModelChunker.activate(TopologyHarness.TABLE, 1, "too old"));
        assertThat(h.registry.activeVersion()).isEqualTo(3);
        assertThat(h.registry.rejectedCount(Reason.UNKNOWN_VERSION)).isEqualTo(1);
        h.send(ModelChunker.activate(TopologyHarness.TABLE, 2, "retained"));
        assertThat(h.registry.activeVersion()).isEqualTo(2);
    }

    @Test
    void shouldServeOnlyThePinnedVersion() {
        TopologyHarness h = harness(Map.of(TokvecConfig.TABLE_VERSION, "2"));
        h.publish(table(1));
        h.pipeIds("nothing-yet", 2);
        h.publish(table(2));
        h.publish(table(3));
        h.pipeIds("pinned", 2);
        assertThat(h.deadLetters()).extracting(d -> d.getReason()).containsExactly("NO_TABLE");
        assertThat(h.outputs()).extracting(EnrichedEvent::getTableVersion).containsExactly(2L);
    }

    @Test
    void shouldHandleChunksOutOfOrderDuplicatedAndInterleavedAcrossTwoVersions() {
        TopologyHarness h = harness(Map.of());
        h.publish(table(1));
        List<ModelChunker.Keyed> mixed = new ArrayList<>();
        for (long v : new long[] {2, 3}) {
            ModelChunker c = chunker(v);
            for (int i = 0; i < c.chunkCount(); i++) {
                mixed.add(c.chunk(i));
                if (i % 2 == 0) mixed.add(c.chunk(i)); // duplicates
            }
        }
        Collections.shuffle(mixed, new Random(42));
        mixed.forEach(h::send);
        h.send(chunker(2).commit(Map.of()));
        h.pipeIds("on-2", 7);
        h.send(chunker(3).commit(Map.of()));
        h.pipeIds("on-3", 7);
        List<EnrichedEvent> out = h.outputs();
        assertThat(out).extracting(EnrichedEvent::getTableVersion).containsExactly(2L, 3L);
        assertConsistent(out);
        assertThat(h.registry.rejectedCount()).isZero();
    }

    @Test
    void shouldRejectAChunkWhoseKeyDisagreesWithItsValue() {
        TopologyHarness h = harness(Map.of());
        ModelChunker c = chunker(1);
        h.sendModel(ModelKey.chunk(TopologyHarness.TABLE, 1, 3).topicKey(), c.chunk(0).record());
        h.pipeModel("not a model key", new byte[] {1});
        assertThat(h.registry.rejectedCount(Reason.BAD_RECORD)).isEqualTo(2);
    }

    @Test
    void shouldServeTheLatestVersionAfterARestartBeforeAnyEvent() {
        Path dir = topology.stateDir("restart");
        TopologyHarness first = topology.start(Map.of(), dir);
        first.publish(table(1));
        first.publish(table(2));
        first.send(ModelChunker.activate(TopologyHarness.TABLE, 1, "rollback"));
        first.pipeIds("before-restart", 3);
        assertThat(first.outputs()).extracting(EnrichedEvent::getTableVersion).containsExactly(1L);
        first.closeDriver();

        // A restart without local state: Kafka Streams replays the model topic through the global
        // store's processor before any stream thread runs (TopologyTestDriver.close() deletes the
        // state directory, so this is the restart it can show; ModelRecoveryTest covers recovery
        // from a kept store, and the *IT tests a real restart on the broker).
        TopologyHarness second = topology.start(Map.of(), dir);
        try {
            assertThat(second.registry.activeVersion()).isEqualTo(-1);
            first.modelLog.forEach(kv -> second.pipeModel(kv.getKey(), kv.getValue()));
            assertThat(second.registry.activeVersion()).isEqualTo(1);
            second.pipeIds("after-restart", 3);
            List<EnrichedEvent> out = second.outputs();
            assertThat(out).extracting(EnrichedEvent::getTableVersion).containsExactly(1L);
            assertConsistent(out);
            second.publish(table(3));
            second.pipeIds("new-version", 3);
            assertThat(second.outputs()).extracting(EnrichedEvent::getTableVersion).containsExactly(3L);
        } finally {
            second.close();
        }
    }

    @Test
    void shouldRemoveChunksOfVersionsBeyondRetentionFromTheStore() {
        TopologyHarness h = harness(Map.of(TokvecConfig.RETAIN_VERSIONS, "1"));
        h.publish(table(1));
        h.publish(table(2));
        var store = h.driver.<String, byte[]>getKeyValueStore(TokvecTopology.MODEL_STORE);
        List<String> keys = new ArrayList<>();
        try (var it = store.all()) {
            it.forEachRemaining(kv -> keys.add(kv.key));
        }
        assertThat(keys).noneMatch(k -> k.contains("/0000000000000000001"));
        assertThat(keys).anyMatch(k -> k.contains("/0000000000000000002"));
    }
}
