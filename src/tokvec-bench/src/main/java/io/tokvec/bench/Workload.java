package io.tokvec.bench;

import io.tokvec.avro.TokenEvent;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.serde.ConfluentAvroSerializer;
import io.tokvec.serde.SchemaRegistryClient;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The benchmark's deterministic workload: a {@code rows x dim} float32 table of standard gaussians
 * and {@code events} events whose lengths are uniform in {@code [1, maxEventLen]} and whose token
 * ids are uniform in {@code [2, rows)} (ids 0 and 1 are padding and OOV). Both come from fixed
 * seeds, so every run enriches the same numbers.
 */
public final class Workload {

    public static final String TABLE = "embeddings";

    private final BenchSettings settings;
    private final int[][] events;
    private EmbeddingTable table;

    public Workload(BenchSettings settings) {
        this.settings = settings;
        SplittableRandom rnd = new SplittableRandom(settings.seed() * 31 + 1);
        this.events = new int[settings.events()][];
        for (int e = 0; e < events.length; e++) {
            int[] ids = new int[1 + rnd.nextInt(settings.maxEventLen())];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = 2 + rnd.nextInt(settings.rows() - 2);
            }
            events[e] = ids;
        }
    }

    public BenchSettings settings() {
        return settings;
    }

    /** The main table, version 1 (built once, then shared). */
    public synchronized EmbeddingTable table() {
        if (table == null) {
            table = gaussianTable(TABLE, 1, settings.rows(), settings.dim(), settings.seed());
        }
        return table;
    }

    /** A table of standard gaussians from a fixed seed. */
    public static EmbeddingTable gaussianTable(String name, long version, int rows, int dim, long seed) {
        byte[] data = new byte[Math.multiplyExact(Math.multiplyExact(rows, dim), Float.BYTES)];
        fillGaussian(data, 0, rows * dim, new SplittableRandom(seed));
        return new EmbeddingTable(name, version, rows, dim, data, null);
    }

    /** Writes {@code count} gaussian float32 values, little-endian, from float index {@code from}. */
    static void fillGaussian(byte[] data, int from, int count, SplittableRandom rnd) {
        for (int i = 0; i < count; i++) {
            EmbeddingTable.putFloat(data, from + i, (float) rnd.nextGaussian());
        }
    }

    /** Number of distinct events. */
    public int size() {
        return events.length;
    }

    /** Token ids of event {@code i} (the workload's own array: do not modify). */
    public int[] ids(int i) {
        return events[i];
    }

    /** Event {@code i} as Avro hands it to the processor: a {@code List<Integer>}. */
    public List<Integer> idList(int i) {
        int[] ids = events[i];
        List<Integer> l = new ArrayList<>(ids.length);
        for (int id : ids) {
            l.add(id);
        }
        return Collections.unmodifiableList(l);
    }

    public static String eventId(int i) {
        return "e" + i;
    }

    public TokenEvent event(int i) {
        return TokenEvent.newBuilder().setId(eventId(i)).setTokenIds(idList(i)).build();
    }

    /** Input keys (the event id as UTF-8) of the first {@code n} events. */
    public byte[][] keys(int n) {
        byte[][] keys = new byte[n][];
        for (int i = 0; i < n; i++) {
            keys[i] = eventId(i).getBytes(StandardCharsets.UTF_8);
        }
        return keys;
    }

    /**
     * The first {@code n} events in the Confluent wire format, as a producer would have written them
     * to {@code topic} (the schema is registered in {@code registry}).
     */
    public byte[][] serialized(SchemaRegistryClient registry, String topic, int n) {
        ConfluentAvroSerializer<TokenEvent> ser = new ConfluentAvroSerializer<>(registry, false);
        byte[][] out = new byte[n][];
        for (int i = 0; i < n; i++) {
            out[i] = ser.serialize(topic, event(i));
        }
        return out;
    }

    /**
     * Mean size of the first {@code n} events' outputs as tokvec writes them (Confluent wire format,
     * EnrichedEvent, float32 embeddings, pre padding and truncation, table {@value #TABLE} version 1):
     * what the bench's ceiling writes per record. The bench checks it against what tokvec wrote.
     */
    public double meanOutputBytes(int n, int maxLen, int dim) {
        long total = 0;
        int count = Math.min(n, events.length);
        for (int e = 0; e < count; e++) {
            int[] ids = events[e];
            int kept = Math.min(ids.length, maxLen);
            long size = 5; // magic byte + schema id
            size += varint(eventId(e).length()) + eventId(e).length();
            size += 1 + TABLE.length() + varint(1); // table, table_version
            size += varint(maxLen) + 1 + (maxLen - kept); // ids: block count, end, padding zeros
            for (int i = ids.length - kept; i < ids.length; i++) {
                size += varint(ids[i]);
            }
            size += varint(maxLen) + maxLen + 1; // mask
            size += varint(kept) + 1 + varint(dim); // length, truncated, dim
            long emb = (long) maxLen * dim * Float.BYTES;
            size += varint(emb) + emb;
            size += 1 + 1 + 1 + 1 + "float32".length(); // timestamp null, empty metadata, pooled null, dtype
            total += size;
        }
        return (double) total / count;
    }

    /** Bytes of an Avro int/long (zig-zag varint). */
    private static int varint(long v) {
        long z = (v << 1) ^ (v >> 63);
        int n = 1;
        while ((z >>>= 7) != 0) {
            n++;
        }
        return n;
    }

    /** Mean tokens per event (before truncation). */
    public double meanLength() {
        long sum = 0;
        for (int[] e : events) {
            sum += e.length;
        }
        return (double) sum / events.length;
    }
}
