package io.tokvec.model;

import io.tokvec.avro.ModelRecord;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.MappedTableMemory;
import io.tokvec.core.TableDtype;
import io.tokvec.core.TableMemory;
import io.tokvec.core.TableSegments;
import io.tokvec.serde.ConfluentAvroDeserializer;
import io.tokvec.serde.ConfluentAvroSerializer;
import io.tokvec.serde.MockSchemaRegistry;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.testutil.InMemoryModelStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Mapped tables and their verified snapshots across a restart of the registry on a kept store and
 * table directory; out-of-memory builds; retired versions' files.
 */
class TableSnapshotsTest {

    static final String SCOPE = "TableSnapshotsTest";
    final SchemaRegistryClient client = MockSchemaRegistry.getClientForScope(SCOPE);
    final ConfluentAvroSerializer<ModelRecord> ser = new ConfluentAvroSerializer<>(client, false);
    final ConfluentAvroDeserializer<ModelRecord> de = new ConfluentAvroDeserializer<>(ModelRecord.class, client, false);
    final ModelDecoder decoder = (b, off, len) -> de.deserialize("model", b, off, len);

    @TempDir
    Path dir;

    @AfterEach
    void drop() {
        MockSchemaRegistry.dropScope(SCOPE);
    }

    /** Counts what the builder allocates (builds from chunks); snapshots are opened without it. */
    static final class CountingMemory implements TableMemory {
        final TableMemory delegate;
        final List<String> allocated = new ArrayList<>();
        boolean fail;

        CountingMemory(TableMemory delegate) { this.delegate = delegate; }

        @Override
        public TableSegments allocate(String name, int rows, int rowBytes) throws TableMemoryException {
            allocated.add(name);
            if (fail) throw new TableMemoryException(name + ": simulated allocation failure");
            return delegate.allocate(name, rows, rowBytes);
        }

        @Override public long usedBytes() { return delegate.usedBytes(); }
        @Override public long budgetBytes() { return delegate.budgetBytes(); }
    }

    record Setup(TableRegistry registry, CountingMemory memory, MappedTableMemory mapped) {
    }

    Setup registry(TableDtype dtype, long budget) {
        MappedTableMemory mapped = new MappedTableMemory(dir, budget, 64);
        TableSnapshots snapshots = new TableSnapshots(mapped);
        CountingMemory counting = new CountingMemory(mapped);
        TableBuilder builder = new TableBuilder(Long.MAX_VALUE, false, decoder, dtype, counting, snapshots);
        return new Setup(new TableRegistry("t", -1, 3, builder, snapshots, decoder), counting, mapped);
    }

    static EmbeddingTable table(long v, int rows) {
        float[] f = new float[rows * 3];
        for (int i = 0; i < f.length; i++) f[i] = v * 100 + i * 0.25f;
        return EmbeddingTable.fromFloats("t", v, rows, 3, f, null);
    }

    void publish(TableRegistry r, ModelStore store, EmbeddingTable t) {
        ModelChunker c = new ModelChunker(t, 60);
        for (Iterator<ModelChunker.Keyed> it = c.chunks(); it.hasNext(); ) {
            send(r, store, it.next());
        }
        send(r, store, c.commit(Map.of()));
    }

    void send(TableRegistry r, ModelStore store, ModelChunker.Keyed k) {
        r.onRecord(store, k.key().topicKey(), ser.serialize("model", k.record()));
    }

    static void assertSameValues(EmbeddingTable got, EmbeddingTable want) {
        for (int r = 0; r < want.rows(); r++) {
            for (int k = 0; k < want.dim(); k++) {
                assertThat(got.get(r, k)).as("row %d col %d", r, k).isEqualTo(want.get(r, k));
            }
        }
    }

    @Test
    void shouldMapTheVerifiedSnapshotInsteadOfRebuildingWhenRestartedOnTheKeptDir() {
        InMemoryModelStore store = new InMemoryModelStore();
        Setup first = registry(TableDtype.FLOAT16, 1 << 20);
        publish(first.registry(), store, table(1, 40));
        assertThat(first.memory().allocated).containsExactly("t-v1.float16");
        first.registry().close();
        assertThat(dir.resolve("t-v1.float16")).hasSize(40 * 3 * 2);
        assertThat(dir.resolve("t-v1.float16.meta")).isRegularFile();
        assertThat(first.mapped().usedBytes()).isZero();

        Setup second = registry(TableDtype.FLOAT16, 1 << 20);
        second.registry().recover(store);
        assertThat(second.registry().activeVersion()).isEqualTo(1);
        assertThat(second.memory().allocated).as("builds after the restart").isEmpty();
        EmbeddingTable served = second.registry().active();
        assertThat(served.dtype()).isEqualTo(TableDtype.FLOAT16);
        assertThat(served.get(39, 2)).isEqualTo(io.tokvec.core.Half.halfToFloat(io.tokvec.core.Half.floatToHalf(100 + 119 * 0.25f)));
    }

    @Test
    void shouldRebuildFromTheStoreWhenTheSnapshotIsCorrupted() throws Exception {
        InMemoryModelStore store = new InMemoryModelStore();
        Setup first = registry(TableDtype.FLOAT32, 1 << 20);
        publish(first.registry(), store, table(1, 40));
        first.registry().close();
        try (FileChannel ch = FileChannel.open(dir.resolve("t-v1.float32"), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {0x55}), 100);
        }

        Setup second = registry(TableDtype.FLOAT32, 1 << 20);
        second.registry().recover(store);
        assertThat(second.registry().activeVersion()).isEqualTo(1);
        assertThat(second.memory().allocated).as("rebuilt from the store").containsExactly("t-v1.float32");
        assertSameValues(second.registry().active(), table(1, 40));
    }

    static EmbeddingTable tableWithVocabulary(long v, int rows) {
        List<String> vocab = new ArrayList<>(List.of("", "[UNK]", "naïve", "日本語"));
        for (int i = vocab.size(); i < rows; i++) vocab.add("w" + i);
        EmbeddingTable plain = table(v, rows);
        float[] f = new float[rows * 3];
        for (int i = 0; i < f.length; i++) f[i] = plain.get(i / 3, i % 3);
        return EmbeddingTable.fromFloats("t", v, rows, 3, f, vocab);
    }

    @Test
    void shouldRestoreTheVocabularyOfASnapshotAndRebuildWhenItsVocabularyFileIsCorrupted() throws Exception {
        EmbeddingTable want = tableWithVocabulary(1, 40);
        InMemoryModelStore store = new InMemoryModelStore();
        Setup first = registry(TableDtype.FLOAT32, 1 << 20);
        publish(first.registry(), store, want);
        first.registry().close();

        Setup second = registry(TableDtype.FLOAT32, 1 << 20);
        second.registry().recover(store);
        assertThat(second.memory().allocated).as("builds after the restart").isEmpty();
        assertThat(second.registry().active().vocabulary().tokens()).containsExactlyElementsOf(want.vocabulary().tokens());
        assertThat(second.registry().active().vocabulary().indexOf("日本語")).isEqualTo(3);
        assertThat(second.registry().active().vocabulary().indexOf("w39")).isEqualTo(39);
        second.registry().close();

        // the last token "w39" becomes "w38": its checksum no longer matches (and row 38 holds it already)
        Path vocabFile = dir.resolve("t-v1.float32" + TableSnapshots.VOCAB);
        byte[] bytes = Files.readAllBytes(vocabFile);
        assertThat(bytes[bytes.length - 1]).isEqualTo((byte) '9');
        bytes[bytes.length - 1] = '8';
        Files.write(vocabFile, bytes);

        Setup third = registry(TableDtype.FLOAT32, 1 << 20);
        third.registry().recover(store);
        assertThat(third.memory().allocated).as("rebuilt from the store").containsExactly("t-v1.float32");
        assertThat(third.registry().active().vocabulary().tokens()).containsExactlyElementsOf(want.vocabulary().tokens());
        assertThat(third.registry().active().vocabulary().indexOf("w39")).isEqualTo(39);
        assertSameValues(third.registry().active(), want);
    }

    @Test
    void shouldNotUseASnapshotOfAnotherDtype() {
        InMemoryModelStore store = new InMemoryModelStore();
        Setup first = registry(TableDtype.FLOAT32, 1 << 20);
        publish(first.registry(), store, table(1, 40));
        first.registry().close();

        Setup second = registry(TableDtype.BFLOAT16, 1 << 20);
        second.registry().recover(store);
        assertThat(second.memory().allocated).containsExactly("t-v1.bfloat16");
        assertThat(dir.resolve("t-v1.float32")).as("the other dtype's file is stale once a table is active").doesNotExist();
    }

    @Test
    void shouldDeleteTheRetiredVersionsFileAndFreeItsMemoryWhenSwapped() {
        InMemoryModelStore store = new InMemoryModelStore();
        Setup s = registry(TableDtype.FLOAT32, 1 << 20);
        publish(s.registry(), store, table(1, 40));
        EmbeddingTable v1 = s.registry().active();
        TableLease held = s.registry().acquire();
        publish(s.registry(), store, table(2, 40));
        assertThat(s.registry().activeVersion()).isEqualTo(2);
        assertThat(v1.freed()).as("v1 while an event still holds it").isFalse();
        assertSameValues(held.table(), table(1, 40));
        held.close();
        assertThat(v1.freed()).isTrue();
        assertThat(dir.resolve("t-v1.float32")).doesNotExist();
        assertThat(dir.resolve("t-v2.float32")).exists();
        assertThat(s.mapped().usedBytes()).isEqualTo(40 * 3 * 4);
    }

    @Test
    void shouldRejectAVersionAsOutOfMemoryAndKeepTheActiveOneWhenAllocationFails() throws Exception {
        InMemoryModelStore store = new InMemoryModelStore();
        Setup s = registry(TableDtype.FLOAT32, 1 << 20);
        publish(s.registry(), store, table(1, 40));
        s.memory().fail = true;
        publish(s.registry(), store, table(2, 40));
        assertThat(s.registry().activeVersion()).isEqualTo(1);
        assertThat(s.registry().rejectedCount(TableRejectedException.Reason.OUT_OF_MEMORY)).isEqualTo(1);
        assertSameValues(s.registry().active(), table(1, 40));
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("t-v1.float32", "t-v1.float32.meta");
        }
    }

    @Test
    void shouldRejectAVersionAsOutOfMemoryWhenTheBudgetCannotHoldItBesideTheActiveOne() {
        InMemoryModelStore store = new InMemoryModelStore();
        Setup s = registry(TableDtype.FLOAT32, 40 * 3 * 4 * 3 / 2); // one and a half versions
        publish(s.registry(), store, table(1, 40));
        publish(s.registry(), store, table(2, 40));
        assertThat(s.registry().activeVersion()).isEqualTo(1);
        assertThat(s.registry().rejectedCount(TableRejectedException.Reason.OUT_OF_MEMORY)).isEqualTo(1);
        assertThat(dir.resolve("t-v2.float32")).doesNotExist();
        assertSameValues(s.registry().active(), table(1, 40));
    }
}
