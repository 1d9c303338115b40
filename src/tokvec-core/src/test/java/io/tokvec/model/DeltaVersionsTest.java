package io.tokvec.model;

import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TableDeltaChunk;
import io.tokvec.avro.TableDeltaCommit;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.TableChecksum;
import io.tokvec.model.TableRejectedException.Reason;
import io.tokvec.testutil.DeltaRecords;
import io.tokvec.testutil.InMemoryModelStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Delta versions in the registry, against the chain numpy computed (gen_delta_golden.py): each
 * version serves exactly numpy's {@code W_N}, with its vocabulary, whether it is made over the active
 * version, branched from the active chain, rolled back to, or restored after a restart; hostile
 * deltas are rejected with their reason while the active version keeps serving.
 */
class DeltaVersionsTest {

    private static final String T = "t";
    private static final int CHUNK_BYTES = 48; // two rows of dim 4 with their ids: several chunks per delta

    private final DeltaGolden golden = new DeltaGolden();
    private final InMemoryModelStore store = new InMemoryModelStore();
    private TableRegistry registry = newRegistry(2);
    private long offset;

    @TempDir
    Path dir;

    /**
     * A registry that folds on the chain's length only: the golden deltas change most of a 7-row table, so
     * the overlay ratio would fold each of them ({@link FoldTriggerTest} tests that trigger).
     */
    private static TableRegistry newRegistry(int retain) {
        return new TableRegistry(T, -1, retain, Long.MAX_VALUE, false, ModelRecords.DECODER)
                .foldOverlaysLargerThan(Double.POSITIVE_INFINITY);
    }

    /** A registry building into mapped files under {@code tables} that keeps verified snapshots there (as the application). */
    private static TableRegistry withSnapshots(Path tables) {
        TableSnapshots snapshots = new TableSnapshots(new io.tokvec.core.MappedTableMemory(tables, Long.MAX_VALUE));
        TableBuilder builder = new TableBuilder(Long.MAX_VALUE, false, ModelRecords.DECODER, io.tokvec.core.TableDtype.FLOAT32,
                snapshots.memory(), snapshots);
        return new TableRegistry(T, -1, 2, builder, snapshots, ModelRecords.DECODER).foldOverlaysLargerThan(Double.POSITIVE_INFINITY);
    }

    private void send(ModelChunker.Keyed r) {
        registry.onRecord(store, r.key().topicKey(), ModelRecords.encode(r.record()), offset++);
    }

    private void send(List<ModelChunker.Keyed> records) {
        records.forEach(this::send);
    }

    private void publishFull(long version) {
        send(ModelRecords.records(golden.get(version).table(T), 64));
    }

    private void publishDelta(long version) {
        DeltaGolden.Version v = golden.get(version);
        send(v.records(T, golden.get(v.base()), CHUNK_BYTES));
    }

    /** Every row of the active version, bit for bit, is numpy's W of {@code version}, and so is its vocabulary. */
    private void assertServes(long version) {
        DeltaGolden.Version g = golden.get(version);
        assertThat(registry.activeVersion()).isEqualTo(version);
        try (TableLease lease = registry.acquire()) {
            EmbeddingTable t = lease.table();
            assertThat(t.rows()).isEqualTo(g.rows());
            float[] row = new float[g.dim()];
            for (int r = 0; r < g.rows(); r++) {
                t.readRow(r, row, 0);
                for (int k = 0; k < g.dim(); k++) {
                    assertThat(Float.floatToRawIntBits(row[k])).as("v%d row %d col %d", version, r, k)
                            .isEqualTo(Float.floatToRawIntBits(g.w()[r * g.dim() + k]));
                }
            }
            assertThat(t.vocabulary().tokens()).containsExactlyElementsOf(g.vocab());
            for (int r = 2; r < g.rows(); r++) {
                assertThat(t.vocabulary().indexOf(g.vocab().get(r))).isEqualTo(r);
            }
        }
    }

    @Test
    void shouldComputeTheChecksumsAndContentIdsAsTheTrainerRecipeDoes() {
        for (long n : new long[] {2, 3, 4}) {
            DeltaGolden.Version v = golden.get(n);
            List<ModelChunker.Keyed> records = v.records(T, golden.get(v.base()), CHUNK_BYTES);
            TableDeltaCommit c = (TableDeltaCommit) records.get(records.size() - 1).record().getBody();
            assertThat(c.getDeltaChecksum()).isEqualTo(v.deltaChecksum());
            assertThat(c.getTokensChecksum()).isEqualTo(v.tokensChecksum());
            assertThat(c.getContentId()).isEqualTo(v.contentId());
            assertThat(c.getRows()).isEqualTo(v.rows());
            assertThat(c.getChunks()).isEqualTo(records.size() - 1).isGreaterThan(n == 4 ? 0 : 1);
        }
        List<ModelChunker.Keyed> full = ModelRecords.records(golden.get(1).table(T), 64);
        assertThat(ContentIds.of((io.tokvec.avro.TableCommit) full.get(full.size() - 1).record().getBody()))
                .isEqualTo(golden.get(1).contentId());
    }

    @Test
    void shouldServeEachDeltaOfAChainExactlyAsNumpyComputesIt() {
        publishFull(1);
        assertServes(1);
        publishDelta(2);
        assertServes(2);
        publishDelta(3);
        assertServes(3);
        try (TableLease lease = registry.acquire()) {
            assertThat(lease.table().rootVersion()).isEqualTo(1); // v1's storage, shared: nothing copied
            assertThat(lease.table().overlay().layers()).hasSize(2);
        }
        assertThat(registry.rejectedCount()).isZero();
    }

    @Test
    void shouldBranchFromTheActiveChainAndRollBackToADeltaVersion() {
        publishFull(1);
        publishDelta(2);
        publishDelta(3);
        publishDelta(4); // over v2, not over the active v3
        assertServes(4);
        send(ModelChunker.activate(T, 3, "back"));
        assertServes(3);
        send(ModelChunker.activate(T, 2, "further back"));
        assertServes(2);
        send(ModelChunker.activate(T, 1, "to the base"));
        assertServes(1);
        send(ModelChunker.activate(T, 4, "forward"));
        assertServes(4);
        assertThat(registry.describeVersions()).containsEntry(4L, "active").containsEntry(1L, "committed");
    }

    @Test
    void shouldRestoreTheChainFromTheStoreAfterARestart() {
        publishFull(1);
        publishDelta(2);
        publishDelta(3);
        registry.close();
        registry = newRegistry(2);
        registry.recover(store);
        assertServes(3);
        send(ModelChunker.activate(T, 2, "after the restart"));
        assertServes(2);
    }

    @Test
    void shouldMapTheBaseFromItsSnapshotAndReadOnlyTheDeltasFromTheStoreAfterARestart() {
        Path tables = dir.resolve("tables");
        registry = withSnapshots(tables);
        publishFull(1);
        publishDelta(2);
        publishDelta(3);
        registry.close();
        assertThat(Files.exists(tables.resolve("t-v1.float32.meta"))).as("the root's snapshot kept").isTrue();
        registry = withSnapshots(tables);
        store.clearScans();
        registry.recover(store);
        assertServes(3);
        assertThat(store.scannedPrefixes()).doesNotContain(ModelKey.chunkPrefix(T, 1)).contains(ModelKey.deltaChunkPrefix(T, 2),
                ModelKey.deltaChunkPrefix(T, 3));
    }

    @Test
    void shouldNeverDropTheBaseOfARetainedDelta() {
        registry = newRegistry(1);
        publishFull(1);
        publishDelta(2);
        publishDelta(3);
        assertThat(registry.describeVersions()).containsOnlyKeys(1L, 2L, 3L); // v3 needs v2, which needs v1
        registry.close();
        registry = newRegistry(1);
        registry.recover(store);
        assertServes(3);
        DeltaGolden.Version g = golden.get(1);
        send(ModelRecords.records(EmbeddingTable.fromFloats(T, 5, g.rows(), g.dim(), g.w(), g.vocab()), 64));
        assertThat(registry.activeVersion()).isEqualTo(5);
        assertThat(registry.describeVersions()).containsOnlyKeys(5L);
    }

    // ---- folds ----

    @Test
    void shouldFoldALongChainInTheBackgroundIntoTheSameVersionAndMapItAfterARestart() throws Exception {
        Path tables = dir.resolve("tables");
        registry = withSnapshots(tables).foldChainsLongerThan(1);
        publishFull(1);
        publishDelta(2);
        long sequence = registry.activation().sequence();
        assertThat(registry.foldCount()).isZero(); // one delta: not longer than 1
        publishDelta(3); // two deltas over v1: folded
        long sequence3 = registry.activation().sequence();
        assertThat(sequence3).isGreaterThan(sequence);
        await("v3 folded").atMost(Duration.ofSeconds(30)).until(() -> registry.foldCount() == 1);
        assertServes(3);
        assertThat(registry.activation().sequence()).as("the same decision: outputs keep naming v3").isEqualTo(sequence3);
        try (TableLease lease = registry.acquire()) {
            assertThat(lease.table().overlay()).isNull();
            assertThat(lease.table().rootVersion()).isEqualTo(3);
        }
        assertThat(Files.exists(tables.resolve("t-v3.float32.meta"))).isTrue();
        assertThat(Files.exists(tables.resolve("t-v1.float32"))).as("v1's storage freed with the chain").isFalse();

        // a restart maps the folded v3 and builds nothing of v1 or v2
        registry.close();
        registry = withSnapshots(tables);
        store.clearScans();
        registry.recover(store);
        assertServes(3);
        assertThat(store.scannedPrefixes()).doesNotContain(ModelKey.chunkPrefix(T, 1), ModelKey.deltaChunkPrefix(T, 2),
                ModelKey.deltaChunkPrefix(T, 3));
        publishDelta(4); // over v2: v3's folded table is not in its chain, so v4 is made from v1 and v2 again
        assertServes(4);
        send(ModelChunker.activate(T, 3, "back"));
        assertServes(3);
    }

    @Test
    void shouldPutTheDeltasThatWentLiveDuringAFoldBackOnTopOfIt() {
        Deque<Runnable> queued = new ArrayDeque<>();
        registry = newRegistry(2).foldChainsLongerThan(1).foldWith(queued::add);
        publishFull(1);
        publishDelta(2);
        publishDelta(3);
        assertThat(queued).hasSize(1); // the fold of v3 waits to run
        DeltaGolden.Version v3 = golden.get(3);
        // v5 over v3, appending row 10 with a token: live before the fold of v3 ends
        DeltaGolden.Version g4 = golden.get(4);
        List<ModelChunker.Keyed> v5 = new DeltaChunker(T, 5, new DeltaChunker.Base(3, v3.rows(), v3.dim(), v3.contentId(), true),
                new int[] {10, 6}, (i, dst, off) -> {
                    for (int k = 0; k < 4; k++) EmbeddingTable.putFloat(dst, off / 4 + k, 100 * i + k);
                }, List.of("late"), CHUNK_BYTES).chunksAndCommit();
        send(v5);
        assertThat(registry.activeVersion()).isEqualTo(5);
        long sequence5 = registry.activation().sequence();
        queued.poll().run();
        assertThat(registry.foldCount()).isEqualTo(1);
        assertThat(registry.activation().sequence()).isEqualTo(sequence5);
        try (TableLease lease = registry.acquire()) {
            EmbeddingTable t = lease.table();
            assertThat(t.version()).isEqualTo(5);
            assertThat(t.rootVersion()).as("re-made over the folded v3").isEqualTo(3);
            assertThat(t.overlay().layers()).extracting(io.tokvec.core.TableDelta::version).containsExactly(5L);
            for (int r = 0; r < v3.rows(); r++) {
                for (int k = 0; k < 4; k++) {
                    float expected = r == 6 ? 100 + k : v3.w()[r * 4 + k];
                    assertThat(t.get(r, k)).isEqualTo(expected);
                }
            }
            for (int k = 0; k < 4; k++) assertThat(t.get(10, k)).isEqualTo(k);
            assertThat(t.vocabulary().indexOf("late")).isEqualTo(10);
            assertThat(t.vocabulary().indexOf("delta")).isEqualTo(9);
            assertThat(t.vocabulary().size()).isEqualTo(11);
        }
        assertThat(g4.version()).isEqualTo(4);
    }

    // ---- hostile deltas: rejected with a reason, the active version keeps serving ----

    /** Delta records over v1 made by hand ({@link DeltaRecords}): chunks of the given ids, tokens per chunk. */
    private List<ModelChunker.Keyed> handMade(long version, long rows, int[][] chunkIds, List<List<String>> chunkTokens) {
        DeltaGolden.Version base = golden.get(1);
        return DeltaRecords.delta(T, version, new DeltaRecords.Base(1, base.rows(), base.dim(), base.contentId()), rows, chunkIds,
                chunkTokens);
    }

    private static TableDeltaCommit commitOf(List<ModelChunker.Keyed> records) {
        return DeltaRecords.commitOf(records);
    }

    /** Sends {@code records}; the registry rejects (a record of) {@code version} with {@code reason} and still serves v1 exactly. */
    private void assertRejected(List<ModelChunker.Keyed> records, long version, Reason reason, String messagePart) {
        long before = registry.rejectedCount(reason);
        send(records);
        assertThat(registry.rejectedCount(reason)).as("rejections as %s", reason).isEqualTo(before + 1);
        RejectionLog.Rejection last = registry.recentRejections().get(registry.recentRejections().size() - 1);
        assertThat(last.version()).isEqualTo(version);
        assertThat(last.reason()).isEqualTo(reason);
        assertThat(last.message()).contains(messagePart);
        assertServes(1);
    }

    @Test
    void shouldRejectHostileDeltasWithTheirReasonWhileTheActiveVersionServes() {
        publishFull(1); // 7 rows, with a vocabulary
        assertRejected(handMade(2, 8, new int[][] {{1, 9}}, List.of(List.of("x"))), 2, Reason.BAD_DELTA, "beyond the 8 rows");
        assertRejected(handMade(3, 7, new int[][] {{1, 2}, {2, 3}}, null), 3, Reason.BAD_DELTA, "id 2 appears twice");
        assertRejected(handMade(4, 7, new int[][] {{2, 2}}, null), 4, Reason.BAD_DELTA, "does not ascend");
        assertRejected(handMade(5, 9, new int[][] {{1, 8}}, List.of(List.of("x"))), 5, Reason.BAD_DELTA, "leaves a gap");
        assertRejected(handMade(6, 9, new int[][] {{7}, {8}}, List.of(List.of("x"), List.of("x"))), 6, Reason.VOCAB_MISMATCH,
                "token 'x' of appended row 8 is already row 7");
        assertRejected(handMade(7, 8, new int[][] {{7}}, List.of(List.of("the"))), 7, Reason.VOCAB_MISMATCH,
                "token 'the' of appended row 7 is already row 2");
        assertRejected(handMade(8, 8, new int[][] {{7}}, null), 8, Reason.VOCAB_MISMATCH, "without tokens");

        List<ModelChunker.Keyed> unknownBase = handMade(9, 7, new int[][] {{1}}, null);
        commitOf(unknownBase).setBaseVersion(8); // its commit was refused above
        assertRejected(unknownBase, 9, Reason.UNKNOWN_BASE, "names base v8, which is not committed");

        List<ModelChunker.Keyed> wrongSum = handMade(10, 7, new int[][] {{1, 2}, {4}}, null);
        TableDeltaCommit c = commitOf(wrongSum);
        c.setDeltaChecksum(TableChecksum.PREFIX + "0".repeat(64));
        c.setContentId(ContentIds.of(golden.get(1).contentId(), c)); // consistent: only the rows disagree
        assertRejected(wrongSum, 10, Reason.CHECKSUM_MISMATCH, "delta checksum is");

        List<ModelChunker.Keyed> otherBase = handMade(11, 7, new int[][] {{1}}, null);
        TableDeltaCommit o = commitOf(otherBase);
        o.setContentId(ContentIds.of(TableChecksum.PREFIX + "1".repeat(64), o)); // made over other contents of v1
        assertRejected(otherBase, 11, Reason.BASE_MISMATCH, "made over other contents than v1");

        List<ModelChunker.Keyed> broken = ModelRecords.records(golden.get(1).table(T), 64);
        io.tokvec.avro.TableCommit bc = (io.tokvec.avro.TableCommit) broken.get(broken.size() - 1).record().getBody();
        bc.setChecksum(TableChecksum.PREFIX + "2".repeat(64));
        List<ModelChunker.Keyed> v12 = new ArrayList<>();
        for (ModelChunker.Keyed k : broken) {
            ModelRecord r = k.record();
            ModelKey key = k.key().kind() == ModelKey.Kind.CHUNK ? ModelKey.chunk(T, 12, k.key().index()) : ModelKey.commit(T, 12);
            v12.add(new ModelChunker.Keyed(key, ModelRecords.record(T, 12, r.getBody())));
        }
        assertRejected(v12, 12, Reason.CHECKSUM_MISMATCH, "table checksum is");
        List<ModelChunker.Keyed> overRejected = handMade(13, 7, new int[][] {{1}}, null);
        commitOf(overRejected).setBaseVersion(12);
        assertRejected(overRejected, 13, Reason.BASE_REJECTED, "names base v12, which was rejected (CHECKSUM_MISMATCH)");

        send(handMade(14, 8, new int[][] {{1, 7}}, List.of(List.of("new"))));
        assertThat(registry.activeVersion()).isEqualTo(14);
        try (TableLease lease = registry.acquire()) {
            assertThat(lease.table().get(1, 3)).isEqualTo(1.5f);
            assertThat(lease.table().get(7, 0)).isEqualTo(7.5f);
            assertThat(lease.table().get(2, 0)).isEqualTo(golden.get(1).w()[2 * 4]);
            assertThat(lease.table().vocabulary().indexOf("new")).isEqualTo(7);
        }
    }
}
