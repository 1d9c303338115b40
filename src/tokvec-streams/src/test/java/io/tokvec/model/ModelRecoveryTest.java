package io.tokvec.model;

import io.tokvec.avro.ModelRecord;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.serde.ConfluentAvroDeserializer;
import io.tokvec.serde.ConfluentAvroSerializer;
import io.tokvec.serde.MockSchemaRegistry;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.testutil.InMemoryModelStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Iterator;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A restart that keeps the local store (RocksDB with a checkpoint): Kafka Streams does not replay
 * what the store already holds, so a new registry must rebuild its state from the store alone.
 */
class ModelRecoveryTest {

    static final String SCOPE = "ModelRecoveryTest";
    final SchemaRegistryClient client = MockSchemaRegistry.getClientForScope(SCOPE);
    final ConfluentAvroSerializer<ModelRecord> ser = new ConfluentAvroSerializer<>(client, false);
    final ConfluentAvroDeserializer<ModelRecord> de = new ConfluentAvroDeserializer<>(ModelRecord.class, client, false);

    @AfterEach
    void drop() {
        MockSchemaRegistry.dropScope(SCOPE);
    }

    TableRegistry registry() {
        return new TableRegistry("t", -1, 3, Long.MAX_VALUE, false, (b, off, len) -> de.deserialize("model", b, off, len));
    }

    static EmbeddingTable table(long v) {
        return EmbeddingTable.fromFloats("t", v, 3, 2, new float[] {0, 0, v, 1, v, 2}, null);
    }

    void publish(TableRegistry r, ModelStore store, EmbeddingTable t) {
        ModelChunker c = new ModelChunker(t, 8);
        for (Iterator<ModelChunker.Keyed> it = c.chunks(); it.hasNext(); ) {
            send(r, store, it.next());
        }
        send(r, store, c.commit(Map.of()));
    }

    void send(TableRegistry r, ModelStore store, ModelChunker.Keyed k) {
        r.onRecord(store, k.key().topicKey(), ser.serialize("model", k.record()));
    }

    @Test
    void shouldRecoverTheLatestCommittedVersionFromAKeptStore() {
        InMemoryModelStore store = new InMemoryModelStore();
        TableRegistry before = registry();
        publish(before, store, table(1));
        publish(before, store, table(2));
        assertThat(before.activeVersion()).isEqualTo(2);

        TableRegistry after = registry();
        after.recover(store);
        assertThat(after.activeVersion()).isEqualTo(2);
        assertThat(after.active().get(2, 0)).isEqualTo(2f);
        assertThat(after.describeVersions()).containsEntry(1L, "committed").containsEntry(2L, "active");
    }

    @Test
    void shouldRecoverARollbackFromAKeptStore() {
        InMemoryModelStore store = new InMemoryModelStore();
        TableRegistry before = registry();
        publish(before, store, table(1));
        publish(before, store, table(2));
        send(before, store, ModelChunker.activate("t", 1, "rollback"));
        assertThat(before.activeVersion()).isEqualTo(1);

        TableRegistry after = registry();
        after.recover(store);
        assertThat(after.activeVersion()).isEqualTo(1);
        publish(after, store, table(3));
        assertThat(after.activeVersion()).isEqualTo(3);

        TableRegistry third = registry();
        third.recover(store);
        assertThat(third.activeVersion()).isEqualTo(3);
    }

    @Test
    void shouldKeepWaitingForChunksAcrossARestart() {
        InMemoryModelStore store = new InMemoryModelStore();
        TableRegistry before = registry();
        publish(before, store, table(1));
        ModelChunker c = new ModelChunker(table(2), 8);
        send(before, store, c.commit(Map.of()));
        send(before, store, c.chunk(0));
        assertThat(before.activeVersion()).isEqualTo(1);

        TableRegistry after = registry();
        after.recover(store);
        assertThat(after.activeVersion()).isEqualTo(1);
        for (int i = 1; i < c.chunkCount(); i++) send(after, store, c.chunk(i));
        assertThat(after.activeVersion()).isEqualTo(2);
    }

    @Test
    void shouldStartWithNoTableWhenTheStoreIsEmpty() {
        TableRegistry r = registry();
        r.recover(new InMemoryModelStore());
        assertThat(r.active()).isNull();
        assertThat(r.activeVersion()).isEqualTo(-1);
    }

    @Test
    void shouldRejectAStoredUnsignedCommitWhenTrustedKeysAreSetBeforeTheRestart() {
        java.security.KeyPair key = SigningKeys.generate();
        InMemoryModelStore store = new InMemoryModelStore();
        TableRegistry before = registry(); // no trusted keys: everything activates
        ModelChunker c1 = new ModelChunker(table(1), 8);
        c1.chunks().forEachRemaining(k -> send(before, store, k));
        ModelChunker.Keyed commit1 = c1.commit(Map.of());
        new CommitSigner(key.getPrivate(), key.getPublic()).sign("t", 1, (io.tokvec.avro.TableCommit) commit1.record().getBody());
        send(before, store, commit1);
        publish(before, store, table(2)); // unsigned
        assertThat(before.activeVersion()).isEqualTo(2);

        ModelDecoder decoder = (b, off, len) -> de.deserialize("model", b, off, len);
        TableRegistry after = new TableRegistry("t", -1, 3, new TableBuilder(Long.MAX_VALUE, false, decoder), null, decoder,
                new CommitVerifier(java.util.List.of(key.getPublic())));
        after.recover(store);
        assertThat(after.activeVersion()).isEqualTo(1);
        assertThat(after.rejectedCount(TableRejectedException.Reason.UNSIGNED)).isEqualTo(1);
        assertThat(after.recentRejections()).singleElement().satisfies(r -> assertThat(r.version()).isEqualTo(2));
    }

    @Test
    void shouldRecoverFromTheChunkIndexesWithoutReadingTheChunksOfVersionsItDoesNotBuild() {
        InMemoryModelStore store = new InMemoryModelStore();
        TableRegistry before = registry();
        before.recover(store); // as the application does at start: from then on chunk indexes are complete
        publish(before, store, table(1));
        publish(before, store, table(2));
        ModelChunker c3 = new ModelChunker(table(3), 8);
        send(before, store, c3.chunk(0)); // v3 still arriving
        assertThat(store.keys(ModelKey.chunkIndexPrefix("t")))
                .containsExactly(ModelKey.chunkIndexKey("t", 1), ModelKey.chunkIndexKey("t", 2), ModelKey.chunkIndexKey("t", 3));

        store.clearScans();
        TableRegistry after = registry();
        after.recover(store);
        assertThat(after.activeVersion()).isEqualTo(2);
        assertThat(after.active().get(2, 0)).isEqualTo(2f);
        assertThat(after.describeVersions()).isEqualTo(before.describeVersions());
        // the index and the commits; the chunks only of the version it builds (no snapshots here)
        assertThat(store.scannedPrefixes()).containsExactly(ModelKey.chunkIndexPrefix("t"), ModelKey.deltaChunkIndexPrefix("t"),
                ModelKey.commitPrefix("t"), ModelKey.deltaCommitPrefix("t"), ModelKey.chunkPrefix("t", 2));

        for (int i = 1; i < c3.chunkCount(); i++) send(after, store, c3.chunk(i));
        send(after, store, c3.commit(Map.of()));
        assertThat(after.activeVersion()).as("v3 completes with the chunk sent before the restart").isEqualTo(3);
    }

    @Test
    void shouldReadTheChunksOnceAndKeepIndexesWhenTheStoreHasNone() {
        InMemoryModelStore store = new InMemoryModelStore();
        TableRegistry before = registry();
        publish(before, store, table(1));
        publish(before, store, table(2));
        // a store written before chunk indexes existed: chunks and commits only
        store.keys(ModelKey.chunkIndexPrefix("t")).forEach(store::delete);
        store.delete(ModelKey.chunkIndexMarkerKey("t"));

        store.clearScans();
        TableRegistry after = registry();
        after.recover(store);
        assertThat(after.activeVersion()).isEqualTo(2);
        assertThat(store.scannedPrefixes()).startsWith(ModelKey.chunksPrefix("t"));
        assertThat(store.get(ModelKey.chunkIndexMarkerKey("t"))).isNotNull();
        assertThat(ChunkIndex.decode(store.get(ModelKey.chunkIndexKey("t", 1))).chunks().size())
                .isEqualTo(new ModelChunker(table(1), 8).chunkCount());

        store.clearScans();
        TableRegistry third = registry();
        third.recover(store);
        assertThat(third.activeVersion()).isEqualTo(2);
        assertThat(third.describeVersions()).isEqualTo(after.describeVersions());
        assertThat(store.scannedPrefixes()).doesNotContain(ModelKey.chunksPrefix("t"), ModelKey.chunkPrefix("t", 1));
    }

    @Test
    void shouldLookForChunksTheIndexDoesNotNameWhenACommittedVersionIsIncomplete() {
        InMemoryModelStore store = new InMemoryModelStore();
        TableRegistry before = registry();
        before.recover(store);
        publish(before, store, table(1));
        ModelChunker c2 = new ModelChunker(table(2), 8);
        send(before, store, c2.commit(Map.of()));
        // chunks stored without their index (by a tokvec without indexes, run on this store in between)
        for (int i = 0; i < c2.chunkCount(); i++) {
            ModelChunker.Keyed k = c2.chunk(i);
            store.put(k.key().storeKey(), StoredRecord.encode(100 + i, ser.serialize("model", k.record())));
        }
        TableRegistry after = registry();
        after.recover(store);
        assertThat(after.activeVersion()).isEqualTo(2);
        assertThat(after.active().get(2, 1)).isEqualTo(2f);
        assertThat(ChunkIndex.decode(store.get(ModelKey.chunkIndexKey("t", 2))).maxSeq()).isEqualTo(100 + c2.chunkCount() - 1);
    }

    @Test
    void shouldKeepTheChunkIndexInStepWithTombstonesAndPrunedVersions() {
        InMemoryModelStore store = new InMemoryModelStore();
        TableRegistry r = registry(); // retains 3 versions
        r.recover(store);
        ModelChunker c9 = new ModelChunker(table(9), 8);
        send(r, store, c9.chunk(0));
        send(r, store, c9.chunk(1));
        r.onRecord(store, c9.chunk(0).key().topicKey(), null);
        assertThat(ChunkIndex.decode(store.get(ModelKey.chunkIndexKey("t", 9))).chunks().ranges()).singleElement()
                .satisfies(range -> assertThat(range).containsExactly(1, 1));
        r.onRecord(store, c9.chunk(1).key().topicKey(), null);
        assertThat(store.get(ModelKey.chunkIndexKey("t", 9))).as("deleted with the version's last chunk").isNull();

        for (long v = 1; v <= 5; v++) publish(r, store, table(v));
        assertThat(r.activeVersion()).isEqualTo(5);
        assertThat(store.keys(ModelKey.chunkIndexPrefix("t")))
                .containsExactly(ModelKey.chunkIndexKey("t", 3), ModelKey.chunkIndexKey("t", 4), ModelKey.chunkIndexKey("t", 5));
        assertThat(store.keys(ModelKey.chunksPrefix("t"))).allMatch(k -> !k.startsWith(ModelKey.chunkPrefix("t", 1)));
    }
}
