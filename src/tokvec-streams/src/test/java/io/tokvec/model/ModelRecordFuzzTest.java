package io.tokvec.model;

import io.tokvec.testutil.InMemoryModelStore;
import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TableActivate;
import io.tokvec.avro.TableChunk;
import io.tokvec.avro.TableCommit;
import io.tokvec.avro.TableDeltaChunk;
import io.tokvec.avro.TableDeltaCommit;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.TableChecksum;
import io.tokvec.serde.ConfluentAvroDeserializer;
import io.tokvec.serde.ConfluentAvroSerializer;
import io.tokvec.serde.MockSchemaRegistry;
import io.tokvec.serde.SchemaRegistryClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.AbstractMap;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzz: the registry, with v1 active, handles thousands of model records that are random bytes,
 * mutated valid records, or well-formed records with hostile numbers (indexes near 2^31, offsets near
 * 2^63, huge commits, dims that their data does not carry, keys of every shape, delta records over
 * v1 with hostile ids, counts and bases). It never throws,
 * v1 keeps serving exactly, no record makes it allocate more than the bytes the record carries plus a
 * fixed amount, a good version published afterwards still activates, and a restart (replaying the
 * records, or reading the store back) serves that version.
 */
class ModelRecordFuzzTest {

    private static final String SCOPE = "ModelRecordFuzzTest";
    private static final String TABLE = "t";
    private static final int RECORDS = 6_000;
    /**
     * What one record may make the registry allocate on the heap beyond 4 x its own bytes: decoding, a log
     * line, a snapshot; for a commit that completes a version, its build (one decoded chunk at a time, and
     * the vocabulary's first page and index, sized from the commit's rows but capped at 65,536 of them).
     */
    private static final long FIXED_ALLOCATION = 1 << 20;
    private static final long[] HOSTILE = {0, 1, 2, -1, 3, 7, Integer.MAX_VALUE, Integer.MAX_VALUE - 1, Integer.MIN_VALUE,
        1L << 31, Long.MAX_VALUE, Long.MAX_VALUE - 1, Long.MIN_VALUE, 4_000_000_000_000L, 2_000_000_000L, 1_000_000};

    private final SchemaRegistryClient client = MockSchemaRegistry.getClientForScope(SCOPE);
    private final ConfluentAvroSerializer<ModelRecord> ser = new ConfluentAvroSerializer<>(client, false);
    private final ConfluentAvroDeserializer<ModelRecord> de = new ConfluentAvroDeserializer<>(ModelRecord.class, client, false);
    private final ModelDecoder decoder = (b, off, len) -> de.deserialize("model", b, off, len);
    private final Random rnd = new Random(20251119L);
    private final List<Map.Entry<String, byte[]>> log = new ArrayList<>();

    @AfterEach
    void drop() {
        MockSchemaRegistry.dropScope(SCOPE);
    }

    private TableRegistry registry() {
        // 64 MiB tables at most: bounds that the hostile numbers overrun in every direction
        return new TableRegistry(TABLE, -1, 2, 64L << 20, false, decoder);
    }

    private static EmbeddingTable table(long version) {
        float[] values = new float[6 * 3];
        for (int i = 0; i < values.length; i++) values[i] = version * 100 + i;
        return EmbeddingTable.fromFloats(TABLE, version, 6, 3, values, List.of("", "[UNK]", "a", "b", "c", "d"));
    }

    private void send(TableRegistry r, InMemoryModelStore store, String key, byte[] value) {
        long offset = log.size();
        log.add(new AbstractMap.SimpleEntry<>(key, value));
        r.onRecord(store, key, value, offset);
    }

    private void publish(TableRegistry r, InMemoryModelStore store, EmbeddingTable t) {
        ModelChunker c = new ModelChunker(t, 40);
        c.chunks().forEachRemaining(k -> send(r, store, k.key().topicKey(), ser.serialize("model", k.record())));
        ModelChunker.Keyed commit = c.commit(Map.of());
        send(r, store, commit.key().topicKey(), ser.serialize("model", commit.record()));
    }

    /** The active version is {@code expected}, and its leased values are exactly {@code expected}'s. */
    private static void assertServes(TableRegistry r, EmbeddingTable expected) {
        assertThat(r.activeVersion()).isEqualTo(expected.version());
        try (TableLease lease = r.acquire()) {
            EmbeddingTable t = lease.table();
            for (int row = 0; row < expected.rows(); row++) {
                for (int col = 0; col < expected.dim(); col++) {
                    assertThat(t.get(row, col)).isEqualTo(expected.get(row, col));
                }
            }
            assertThat(t.vocabulary().tokens()).isEqualTo(expected.vocabulary().tokens());
        }
    }

    @Test
    void shouldNeverThrowNorStopServingNorAllocateMoreThanARecordCarriesWhateverTheModelTopicHolds() {
        InMemoryModelStore store = new InMemoryModelStore();
        TableRegistry r = registry();
        r.recover(store);
        EmbeddingTable v1 = table(1);
        publish(r, store, v1);
        assertServes(r, v1);
        List<byte[]> valid = new ArrayList<>();
        for (ModelChunker.Keyed k : validRecords()) valid.add(ser.serialize("model", k.record()));

        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();
        long worst = 0;
        String worstKey = null;
        for (int i = 0; i < RECORDS; i++) {
            String key = key();
            byte[] value = value(valid, key);
            long before = threads.getThreadAllocatedBytes(thread);
            send(r, store, key, value); // never throws: a throw fails the test here
            long allocated = threads.getThreadAllocatedBytes(thread) - before;
            long over = allocated - 4L * (value == null ? 0 : value.length) - key.length() * 2L;
            if (over > worst) {
                worst = over;
                worstKey = ModelKey.printable(key);
            }
            assertThat(r.activeVersion()).as("after record %d (%s)", i, ModelKey.printable(key)).isEqualTo(1);
        }
        assertServes(r, v1);
        assertThat(worst).as("most a record allocated beyond 4 x its bytes (%s)", worstKey).isLessThan(FIXED_ALLOCATION);
        assertThat(r.rejectedCount()).isGreaterThan(RECORDS / 2);
        assertThat(r.rejectedCount(TableRejectedException.Reason.BAD_CHUNK)).isPositive();
        assertThat(r.rejectedCount(TableRejectedException.Reason.TOO_LARGE)).isPositive();
        assertThat(r.rejectedCount(TableRejectedException.Reason.UNDECODABLE)).isPositive();
        assertThat(r.rejectedCount(TableRejectedException.Reason.BAD_DELTA)).isPositive();
        assertThat(r.snapshot().otherTables()).contains("other");
        assertThat(r.snapshot().lastRejections()).hasSize(RejectionLog.RECENT);

        // the next good version activates over the junk (numbered above every version the fuzz left)
        long next = r.describeVersions().keySet().stream().mapToLong(Long::longValue).max().orElse(1) + 1;
        EmbeddingTable good = table(next);
        publish(r, store, good);
        assertServes(r, good);

        // a restart that replays the whole topic through a new registry's processor
        TableRegistry replayed = registry();
        InMemoryModelStore fresh = new InMemoryModelStore();
        replayed.recover(fresh);
        replayed.restoring(true);
        for (int i = 0; i < log.size(); i++) {
            replayed.onRecord(fresh, log.get(i).getKey(), log.get(i).getValue(), i);
        }
        replayed.restoring(false);
        assertServes(replayed, good);

        // a restart that reads the kept store back
        TableRegistry recovered = registry();
        recovered.recover(store);
        assertServes(recovered, good);
    }

    /** Valid records to mutate: the chunks and commit of a version, and an activate record. */
    private List<ModelChunker.Keyed> validRecords() {
        List<ModelChunker.Keyed> out = new ArrayList<>();
        ModelChunker c = new ModelChunker(table(3), 40);
        c.chunks().forEachRemaining(out::add);
        out.add(c.commit(Map.of("k", "v")));
        out.add(ModelChunker.activate(TABLE, 1, "rollback"));
        // a delta over v1: replaces row 2, appends row 6 with its token
        EmbeddingTable v1 = table(1);
        DeltaChunker d = new DeltaChunker(TABLE, 4, new DeltaChunker.Base(1, 6, 3, ContentIds.of(new ModelChunker(v1, 40)
                .commit(Map.of()).record().getBody() instanceof TableCommit tc ? tc : null), true),
                new int[] {6, 2}, (i, dst, off) -> { }, List.of("e"), 40);
        d.chunks().forEachRemaining(out::add);
        out.add(d.commit(Map.of()));
        return out;
    }

    private long hostile() {
        return rnd.nextInt(4) == 0 ? rnd.nextLong() : HOSTILE[rnd.nextInt(HOSTILE.length)];
    }

    private int hostileInt() {
        long v = hostile();
        return rnd.nextBoolean() ? (int) v : (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
    }

    /** Small, or hostile (negative, zero, 2^31, up to 2^40: a well-formed commit of a huge version would
     * make every later version "not newer", so the good version published at the end must fit above). */
    private long version() {
        return rnd.nextInt(3) == 0 ? Math.min(hostile(), 1L << 40) : 1 + rnd.nextInt(6);
    }

    private String key() {
        return switch (rnd.nextInt(15)) {
            case 12 -> TABLE + "/" + version() + "/delta/" + (rnd.nextBoolean() ? rnd.nextInt(3) : hostile());
            case 13 -> TABLE + "/" + version() + "/delta-commit";
            case 14 -> TABLE + "/" + (2 + rnd.nextInt(5)) + "/delta/" + rnd.nextInt(3);
            case 0 -> TABLE + "/" + version() + "/chunk/" + hostile();
            case 1 -> TABLE + "/" + version() + "/commit";
            case 2 -> TABLE + "/activate";
            case 3 -> "other/" + version() + "/commit";
            case 4 -> new String(bytes(rnd.nextInt(40)), java.nio.charset.StandardCharsets.ISO_8859_1);
            case 5 -> TABLE + "/".repeat(rnd.nextInt(5)) + "x";
            case 6 -> "x".repeat(rnd.nextInt(2000));
            case 7 -> TABLE + "/" + version() + "/chunk/" + rnd.nextInt(4);
            case 8 -> TABLE + "/" + version() + "/commit";
            default -> TABLE + "/" + (1 + rnd.nextInt(6)) + "/chunk/" + rnd.nextInt(3);
        };
    }

    private byte[] value(List<byte[]> valid, String key) {
        return switch (rnd.nextInt(10)) {
            case 0 -> null; // a tombstone
            case 1 -> bytes(rnd.nextInt(4096));
            case 2 -> {
                byte[] b = bytes(5 + rnd.nextInt(200));
                System.arraycopy(valid.get(0), 0, b, 0, 5); // a known schema id, then junk
                yield b;
            }
            case 3, 4 -> mutate(valid.get(rnd.nextInt(valid.size())));
            default -> ser.serialize("model", hostileRecord(key));
        };
    }

    private byte[] mutate(byte[] valid) {
        byte[] b = Arrays.copyOf(valid, rnd.nextInt(4) == 0 ? Math.max(6, rnd.nextInt(valid.length + 64)) : valid.length);
        int flips = 1 + rnd.nextInt(8);
        for (int i = 0; i < flips; i++) {
            int at = 5 + rnd.nextInt(b.length - 5);
            b[at] = (byte) rnd.nextInt(256);
        }
        return b;
    }

    /** A well-formed record with hostile numbers; mostly agreeing with {@code key}, so that it reaches the bounds. */
    private ModelRecord hostileRecord(String key) {
        ModelKey k = null;
        try {
            k = rnd.nextInt(4) == 0 ? null : ModelKey.parse(key);
        } catch (IllegalArgumentException e) {
            // a malformed key: the record's numbers are random too
        }
        long version = k != null && k.kind() != ModelKey.Kind.ACTIVATE ? k.version() : version();
        String table = rnd.nextInt(8) == 0 ? "u" : TABLE;
        int kind = k == null ? rnd.nextInt(5) : k.kind().ordinal();
        Object body = switch (kind) {
            case 0 -> {
                int rows = rnd.nextBoolean() ? 1 + rnd.nextInt(4) : hostileInt();
                int dim = rnd.nextBoolean() ? 3 : hostileInt();
                int carried = rnd.nextBoolean() && rows > 0 && dim > 0 && (long) rows * dim <= 64 ? rows * dim * 4 : rnd.nextInt(64);
                int index = k != null && rnd.nextBoolean() ? k.index() : rnd.nextBoolean() ? rnd.nextInt(4) : hostileInt();
                yield TableChunk.newBuilder().setIndex(index)
                        .setRowOffset(rnd.nextBoolean() ? rnd.nextInt(8) : hostile()).setRowCount(rows).setDim(dim)
                        .setData(ByteBuffer.wrap(bytes(carried)))
                        .setTokens(rnd.nextBoolean() ? null : List.of("w" + rnd.nextInt(9), "x")).build();
            }
            case 1 -> TableCommit.newBuilder().setRows(rnd.nextBoolean() ? 1 + rnd.nextInt(8) : hostile())
                    .setDim(rnd.nextBoolean() ? 3 : hostileInt()).setChunks(rnd.nextBoolean() ? 1 + rnd.nextInt(3) : hostileInt())
                    .setChecksum(rnd.nextBoolean() ? TableChecksum.PREFIX + "ab".repeat(32) : "junk" + rnd.nextInt())
                    .setVocabChecksum(rnd.nextBoolean() ? null : TableChecksum.PREFIX + "cd".repeat(32))
                    .setCreatedMs(hostile()).setMetadata(Map.of()).build();
            case 3 -> {
                int n = rnd.nextBoolean() ? 1 + rnd.nextInt(4) : rnd.nextInt(3);
                int dim = rnd.nextBoolean() ? 3 : hostileInt();
                ByteBuffer ids = ByteBuffer.allocate(n * 4 + (rnd.nextInt(5) == 0 ? 1 : 0)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < n; i++) ids.putInt(i * 4, rnd.nextBoolean() ? rnd.nextInt(9) : hostileInt());
                int carried = rnd.nextBoolean() && dim > 0 && (long) n * dim <= 64 ? n * dim * 4 : rnd.nextInt(64);
                int index = k != null && rnd.nextBoolean() ? k.index() : rnd.nextBoolean() ? rnd.nextInt(4) : hostileInt();
                yield TableDeltaChunk.newBuilder().setIndex(index).setIds(ids).setDim(dim).setData(ByteBuffer.wrap(bytes(carried)))
                        .setTokens(rnd.nextBoolean() ? null : List.of("w" + rnd.nextInt(9))).build();
            }
            case 4 -> TableDeltaCommit.newBuilder().setBaseVersion(rnd.nextBoolean() ? 1 : hostile())
                    .setBaseRows(rnd.nextBoolean() ? 6 : hostile()).setRows(rnd.nextBoolean() ? 6 + rnd.nextInt(3) : hostile())
                    .setDim(rnd.nextBoolean() ? 3 : hostileInt()).setDeltaRows(rnd.nextBoolean() ? 1 + rnd.nextInt(4) : hostile())
                    .setChunks(rnd.nextBoolean() ? 1 + rnd.nextInt(3) : hostileInt())
                    .setDeltaChecksum(rnd.nextBoolean() ? TableChecksum.PREFIX + "ab".repeat(32) : "junk")
                    .setTokensChecksum(rnd.nextBoolean() ? null : TableChecksum.PREFIX + "cd".repeat(32))
                    .setContentId(rnd.nextBoolean() ? TableChecksum.PREFIX + "ef".repeat(32) : "junk")
                    .setCreatedMs(hostile()).setMetadata(Map.of()).build();
            default -> TableActivate.newBuilder().setReason("fuzz").build();
        };
        return ModelRecord.newBuilder().setTable(table).setVersion(version).setBody(body).build();
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }
}
