package io.tokvec.model;

import io.tokvec.testutil.InMemoryModelStore;
import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TableCommit;
import io.tokvec.model.TableRejectedException.Reason;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

import static io.tokvec.model.ModelRecords.chunk;
import static io.tokvec.model.ModelRecords.commit;
import static io.tokvec.model.ModelRecords.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The catalog: which records it keeps (and where), which it refuses, and what a restart reads back. */
class VersionCatalogTest {

    private final InMemoryModelStore store = new InMemoryModelStore();
    private final VersionCatalog catalog = newCatalog();
    private long offset;

    private VersionCatalog newCatalog() {
        return new VersionCatalog("t", RecordBounds.unlimited(), ModelRecords.DECODER, null).attach(store);
    }

    private VersionCatalog.Applied apply(ModelKey key, ModelRecord r) throws TableRejectedException {
        return catalog.apply(key, r, ModelRecords.encode(r), offset++);
    }

    private void chunks(long version, int count) throws TableRejectedException {
        for (int i = 0; i < count; i++) {
            apply(ModelKey.chunk("t", version, i), record("t", version, chunk(i, i, 1, 2)));
        }
    }

    private void commitAs(long version, TableCommit c) throws TableRejectedException {
        apply(ModelKey.commit("t", version), record("t", version, c));
    }

    private Reason refusal(ModelKey key, ModelRecord r) {
        TableRejectedException e = catchThrowableOfType(TableRejectedException.class, () -> apply(key, r));
        return e == null ? null : e.reason();
    }

    @Test
    void shouldKeepChunksAndCommitsInTheStoreAndKnowWhenAVersionIsComplete() throws Exception {
        chunks(1, 2);
        assertThat(catalog.get(1).complete()).isFalse();
        commitAs(1, commit(3, 2, 3));
        assertThat(catalog.get(1).complete()).isFalse();
        assertThat(catalog.get(1).committedChunksPresent()).isEqualTo(2);
        apply(ModelKey.chunk("t", 1, 2), record("t", 1, chunk(2, 2, 1, 2)));
        assertThat(catalog.get(1).complete()).isTrue();
        assertThat(catalog.get(1).commitSeq()).isEqualTo(2);
        assertThat(catalog.newestCommitted()).isEqualTo(1);
        assertThat(store.entries()).containsKeys(ModelKey.chunk("t", 1, 0).storeKey(), ModelKey.chunk("t", 1, 2).storeKey(),
                ModelKey.commit("t", 1).storeKey(), ModelKey.chunkIndexKey("t", 1));
        assertThat(StoredRecord.seq(store.get(ModelKey.commit("t", 1).storeKey()))).isEqualTo(2);
    }

    @Test
    void shouldAcceptAnIdenticalCommitAgainButRefuseOneThatDiffersInAnySignedField() throws Exception {
        commitAs(2, commit(3, 2, 1));
        assertThat(apply(ModelKey.commit("t", 2), record("t", 2, commit(3, 2, 1)))).isEqualTo(VersionCatalog.Applied.UNCHANGED);
        TableCommit otherVocab = commit(3, 2, 1);
        otherVocab.setVocabChecksum("sha256:" + "1".repeat(64));
        assertThat(refusal(ModelKey.commit("t", 2), record("t", 2, otherVocab))).isEqualTo(Reason.DUPLICATE_VERSION);
        TableCommit otherSum = commit(3, 2, 1);
        otherSum.setChecksum("sha256:" + "2".repeat(64));
        assertThat(refusal(ModelKey.commit("t", 2), record("t", 2, otherSum))).isEqualTo(Reason.DUPLICATE_VERSION);
        assertThat(refusal(ModelKey.commit("t", 2), record("t", 2, commit(4, 2, 1)))).isEqualTo(Reason.DUPLICATE_VERSION);
        TableCommit otherMetadata = commit(3, 2, 1);
        otherMetadata.setCreatedMs(99); // not signed: the same version
        assertThat(apply(ModelKey.commit("t", 2), record("t", 2, otherMetadata))).isEqualTo(VersionCatalog.Applied.UNCHANGED);
        assertThat(catalog.get(2).commit().getCreatedMs()).isZero();
    }

    @Test
    void shouldRefuseAnOlderVersionAndLetAValidCommitFollowARefusedOne() throws Exception {
        commitAs(5, commit(3, 2, 1));
        assertThat(refusal(ModelKey.commit("t", 4), record("t", 4, commit(3, 2, 1)))).isEqualTo(Reason.VERSION_NOT_NEWER);
        assertThat(catalog.get(4)).isNull();
        chunks(6, 1);
        assertThat(refusal(ModelKey.commit("t", 6), record("t", 6, commit(3, 2, 4)))).isEqualTo(Reason.BAD_RECORD);
        assertThat(catalog.get(6).refusal().reason()).isEqualTo(Reason.BAD_RECORD);
        assertThat(catalog.get(6).committed()).isFalse();
        commitAs(6, commit(1, 2, 1));
        assertThat(catalog.get(6).complete()).isTrue();
        assertThat(catalog.get(6).refusal()).isNull();
    }

    @Test
    void shouldKeepNothingOfARefusedChunk() throws Exception {
        commitAs(1, commit(3, 2, 3));
        int before = store.entries().size();
        assertThat(refusal(ModelKey.chunk("t", 1, 1), record("t", 1, chunk(1, 1, 1, 5)))).isEqualTo(Reason.WRONG_DIM);
        assertThat(refusal(ModelKey.chunk("t", 9, 2_000_000_000), record("t", 9, chunk(2_000_000_000, 0, 1, 2))))
                .isEqualTo(Reason.BAD_CHUNK);
        assertThat(store.entries()).hasSize(before);
        assertThat(catalog.get(9)).isNull();
    }

    @Test
    void shouldApplyTombstonesAndDropVersionsWithEverythingTheStoreHoldsOfThem() throws Exception {
        chunks(1, 3);
        commitAs(1, commit(3, 2, 3));
        chunks(2, 2);
        catalog.remove(ModelKey.chunk("t", 2, 0));
        assertThat(catalog.get(2).chunkCount()).isEqualTo(1);
        catalog.remove(ModelKey.chunk("t", 2, 1));
        assertThat(catalog.get(2)).isNull();
        assertThat(store.get(ModelKey.chunkIndexKey("t", 2))).isNull();
        apply(ModelKey.activate("t"), ModelRecords.activate("t", 1));
        assertThat(catalog.activateVersion()).isEqualTo(1);
        catalog.remove(ModelKey.activate("t"));
        assertThat(catalog.activateVersion()).isEqualTo(-1);
        catalog.drop(1);
        assertThat(catalog.get(1)).isNull();
        assertThat(catalog.committedVersions()).isEmpty();
        assertThat(store.entries().keySet()).noneMatch(k -> k.startsWith("t/c/") || k.startsWith("t/m/") || k.startsWith("t/r/"));
    }

    @Test
    void shouldReadBackFromTheIndexesWhatItKeptWithoutScanningTheChunks() throws Exception {
        catalog.recover((v, e) -> { });
        chunks(1, 3);
        commitAs(1, commit(3, 2, 3));
        chunks(2, 1);
        apply(ModelKey.activate("t"), ModelRecords.activate("t", 1));
        catalog.markRejected(1, new TableRejectedException(Reason.CHECKSUM_MISMATCH, "test"));
        store.clearScans();

        catalog.recover((v, e) -> { });
        assertThat(store.scannedPrefixes()).containsExactly(ModelKey.chunkIndexPrefix("t"), ModelKey.deltaChunkIndexPrefix("t"),
                ModelKey.commitPrefix("t"), ModelKey.deltaCommitPrefix("t"));
        assertThat(catalog.get(1).complete()).isTrue();
        assertThat(catalog.get(1).rejection().reason()).as("a rejection survives a recovery").isEqualTo(Reason.CHECKSUM_MISMATCH);
        assertThat(catalog.get(2).chunkCount()).isEqualTo(1);
        assertThat(catalog.activateVersion()).isEqualTo(1);
        assertThat(catalog.lastSeq()).isEqualTo(offset - 1);

        VersionCatalog fresh = newCatalog();
        fresh.recover((v, e) -> { });
        assertThat(fresh.get(1).rejection()).isNull();
        assertThat(fresh.versions().keySet()).containsExactly(1L, 2L);
    }

    @Test
    void shouldLookUpTheChunksOfAVersionWhoseIndexOverflowedOrIsUnreadable() throws Exception {
        catalog.recover((v, e) -> { });
        for (int i = 0; i <= 2 * ChunkIndex.MAX_RANGES; i += 2) {
            apply(ModelKey.chunk("t", 3, i), record("t", 3, chunk(i, i, 1, 2)));
        }
        chunks(4, 2);
        store.put(ModelKey.chunkIndexKey("t", 4), new byte[] {1, 2, 3});
        store.clearScans();
        VersionCatalog after = newCatalog();
        after.recover((v, e) -> { });
        assertThat(store.scannedPrefixes()).contains(ModelKey.chunkPrefix("t", 3), ModelKey.chunkPrefix("t", 4));
        assertThat(after.get(3).chunkCount()).isEqualTo(ChunkIndex.MAX_RANGES + 1);
        assertThat(after.get(4).chunkCount()).isEqualTo(2);
        assertThat(ChunkIndex.decode(store.get(ModelKey.chunkIndexKey("t", 4))).chunks().size()).as("rewritten").isEqualTo(2);
    }

    @Test
    void shouldConvertTheBitSetIndexesOfAnOlderTokvecOnce() throws Exception {
        chunks(1, 3);
        commitAs(1, commit(3, 2, 3));
        // what an older tokvec left: bit-set indexes under t/i/ and the marker t/f, no ranged ones
        store.deleteIf(k -> k.startsWith("t/r/") || k.equals("t/g"));
        BitSet bits = new BitSet();
        bits.set(0, 3);
        byte[] raw = bits.toByteArray();
        store.put("t/i/" + String.format("%019d", 1), ByteBuffer.allocate(8 + raw.length).putLong(2).put(raw).array());
        store.put("t/f", new byte[] {1});
        store.clearScans();
        VersionCatalog after = newCatalog();
        after.recover((v, e) -> { });
        assertThat(store.scannedPrefixes()).doesNotContain(ModelKey.chunksPrefix("t"), ModelKey.chunkPrefix("t", 1));
        assertThat(after.get(1).complete()).isTrue();
        assertThat(store.entries()).containsKeys("t/g", ModelKey.chunkIndexKey("t", 1)).doesNotContainKeys("t/f", "t/i/" + String.format("%019d", 1));
    }

    @Test
    void shouldReadTheChunksOnceWhenTheStoreHasNoIndexes() throws Exception {
        chunks(1, 3);
        commitAs(1, commit(3, 2, 3));
        store.deleteIf(k -> k.startsWith("t/r/") || k.equals("t/g"));
        VersionCatalog after = newCatalog();
        after.recover((v, e) -> { });
        assertThat(after.get(1).complete()).isTrue();
        assertThat(store.entries()).containsKeys("t/g", ModelKey.chunkIndexKey("t", 1));
    }

    @Test
    void shouldTellARefusedStoredCommitWhenTheTrustedKeysChanged() throws Exception {
        commitAs(1, commit(3, 2, 3));
        VersionCatalog strict = new VersionCatalog("t", RecordBounds.unlimited(), ModelRecords.DECODER,
                new CommitVerifier(List.of(SigningKeys.generate().getPublic()))).attach(store);
        List<Reason> refused = new ArrayList<>();
        strict.recover((v, e) -> refused.add(e.reason()));
        assertThat(refused).containsExactly(Reason.UNSIGNED);
        assertThat(strict.committedVersions()).isEmpty();
    }

    @Test
    void shouldNoteChunkKeysWithoutCheckingThemForPublish() {
        VersionCatalog scan = new VersionCatalog("t", RecordBounds.unlimited(), ModelRecords.DECODER, null);
        scan.noteChunk(ModelKey.chunk("t", 7, 2_000_000_000), 10);
        List<Integer> seen = new ArrayList<>();
        scan.get(7).forEachChunk(seen::add);
        assertThat(seen).containsExactly(2_000_000_000);
        assertThat(scan.lastSeq()).isEqualTo(10);
    }

    /** A delta over v1 (3 x 2, no vocabulary) replacing row 0 and appending row 3, in two chunks, with its real checksums. */
    private List<ModelChunker.Keyed> delta(long version) {
        DeltaChunker c = new DeltaChunker("t", version, new DeltaChunker.Base(1, 3, 2, ContentIds.of(commit(3, 2, 1)), false),
                new int[] {3, 0}, (i, dst, off) -> { }, null, 12);
        List<ModelChunker.Keyed> out = new ArrayList<>();
        c.chunks().forEachRemaining(out::add);
        out.add(c.commit(java.util.Map.of()));
        return out;
    }

    @Test
    void shouldKeepADeltaUnderItsOwnKeysDependingOnItsBase() throws Exception {
        chunks(1, 1);
        commitAs(1, commit(3, 2, 1));
        List<ModelChunker.Keyed> d = delta(2);
        assertThat(d).hasSize(3);
        apply(d.get(0).key(), d.get(0).record());
        assertThat(catalog.get(2).complete()).isFalse();
        apply(d.get(2).key(), d.get(2).record());
        assertThat(catalog.get(2).isDelta()).isTrue();
        assertThat(catalog.get(2).complete()).isFalse();
        apply(d.get(1).key(), d.get(1).record());
        assertThat(catalog.get(2).complete()).isTrue();
        assertThat(catalog.get(2).dependencies()).containsExactly(1L);
        assertThat(catalog.get(2).rows()).isEqualTo(4);
        assertThat(catalog.get(2).contentId()).isEqualTo(((io.tokvec.avro.TableDeltaCommit) d.get(2).record().getBody()).getContentId());
        assertThat(store.entries()).containsKeys(ModelKey.deltaChunk("t", 2, 0).storeKey(), ModelKey.deltaChunk("t", 2, 1).storeKey(),
                ModelKey.deltaCommit("t", 2).storeKey(), ModelKey.deltaChunkIndexKey("t", 2));
        assertThat(catalog.get(2).keys("t")).containsExactly(ModelKey.deltaChunk("t", 2, 0), ModelKey.deltaChunk("t", 2, 1),
                ModelKey.deltaCommit("t", 2));
        assertThat(apply(d.get(2).key(), d.get(2).record())).isEqualTo(VersionCatalog.Applied.UNCHANGED);
        assertThat(refusal(ModelKey.commit("t", 2), record("t", 2, commit(4, 2, 1)))).as("a full commit of the delta's version")
                .isEqualTo(Reason.DUPLICATE_VERSION);

        VersionCatalog after = newCatalog();
        store.clearScans();
        after.recover((v, e) -> { });
        assertThat(store.scannedPrefixes()).doesNotContain(ModelKey.deltaChunkPrefix("t", 2)); // read from its index
        assertThat(after.get(2).complete()).isTrue();
        assertThat(after.get(2).deltaCommit()).isEqualTo(catalog.get(2).deltaCommit());
        assertThat(after.get(2).contentId()).isEqualTo(catalog.get(2).contentId());

        catalog.remove(ModelKey.commit("t", 2)); // a tombstone of the other kind of commit key
        assertThat(catalog.get(2).committed()).isTrue();
        catalog.remove(ModelKey.deltaChunk("t", 2, 0));
        assertThat(catalog.get(2).complete()).isFalse();
        catalog.drop(2);
        assertThat(store.entries().keySet()).noneMatch(k -> k.startsWith("t/d/") || k.startsWith("t/n/") || k.startsWith("t/e/"));
    }

    @Test
    void shouldRefuseADeltaCommitWhoseBaseIsUnknownRejectedOrOfAnotherShape() throws Exception {
        List<ModelChunker.Keyed> d = delta(2);
        assertThat(refusal(d.get(2).key(), d.get(2).record())).isEqualTo(Reason.UNKNOWN_BASE);
        commitAs(1, commit(3, 4, 1)); // dim 4, not 2
        assertThat(refusal(d.get(2).key(), d.get(2).record())).isEqualTo(Reason.BASE_MISMATCH);
        catalog.markRejected(1, new TableRejectedException(Reason.CHECKSUM_MISMATCH, "test"));
        assertThat(refusal(d.get(2).key(), d.get(2).record())).isEqualTo(Reason.BASE_REJECTED);
        assertThat(catalog.committedVersions()).containsExactly(1L);
    }
}
