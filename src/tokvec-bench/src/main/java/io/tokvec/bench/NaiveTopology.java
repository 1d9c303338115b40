package io.tokvec.bench;

import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.TokenEvent;
import io.tokvec.core.EnrichOptions;
import io.tokvec.serde.ConfluentAvroSerde;
import io.tokvec.serde.SchemaRegistryClient;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.GlobalKTable;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The baseline: what a Kafka Streams user would write with the DSL to get the same padded, masked
 * embedding sequences without tokvec. It lives only in the benchmark.
 *
 * <pre>
 *   vectors topic (row id -&gt; float32 bytes) --&gt; GlobalKTable&lt;Integer, byte[]&gt;
 *   input topic (TokenEvent) --flatMap--&gt; (token id, piece) one record per kept token
 *                            --join(GlobalKTable by token id)--&gt; piece + vector
 *                            --selectKey(event id)--groupByKey (repartition)--aggregate--&gt; partial sequence
 *                            --toStream--filter(complete)--mapValues(pad, mask)--&gt; output topic (EnrichedEvent)
 * </pre>
 *
 * <p>{@code flatMap} applies Keras {@code pad_sequences} to the ids: one piece per kept token, with its
 * final position, plus, when the event is shorter than {@code max_len}, one piece for id 0 that
 * fetches the padding vector (row 0). Each piece carries how many pieces its event has; the
 * aggregate collects pieces per event id and is complete when all arrived, then the sequence is
 * assembled (padded positions get row 0, or zeros with {@code pad_vector=zeros}). A complete
 * aggregate is reset by the next piece of the same event id, so ids may repeat. Record caches must
 * be off ({@code statestore.cache.max.bytes=0}) so that the completing update is emitted at once.
 * Serdes between the steps are compact hand-written binary ones (faster than the JSON or Avro a
 * user would likely pick). Only {@code token_ids} events are handled; ids outside the table are
 * dropped by the inner join (the event never completes): the baseline has no dead letters.
 */
public final class NaiveTopology {

    public static final String VECTORS_STORE = "naive-vectors";
    public static final String PARTIALS_STORE = "naive-partials";
    public static final String REPARTITION = "naive-by-event";

    /**
     * @param tableVersion written into the output records (the vectors topic has no versions)
     */
    public record Config(String inputTopic, String vectorsTopic, String outputTopic, String table, long tableVersion,
                         EnrichOptions options) {
    }

    private NaiveTopology() {
    }

    public static Topology build(Config c, SchemaRegistryClient registry) {
        StreamsBuilder b = new StreamsBuilder();
        GlobalKTable<Integer, byte[]> vectors = b.globalTable(c.vectorsTopic(),
                Consumed.with(Serdes.Integer(), Serdes.ByteArray()),
                Materialized.<Integer, byte[], KeyValueStore<Bytes, byte[]>>as(VECTORS_STORE)
                        .withKeySerde(Serdes.Integer()).withValueSerde(Serdes.ByteArray()));
        Serde<TokenEvent> events = new ConfluentAvroSerde<>(TokenEvent.class, registry, false);
        Serde<EnrichedEvent> enriched = new ConfluentAvroSerde<>(EnrichedEvent.class, registry, false);

        b.stream(c.inputTopic(), Consumed.with(Serdes.ByteArray(), events))
                .flatMap((key, event) -> pieces(event, c.options()))
                .join(vectors, (tokenId, piece) -> tokenId, Piece::withVector)
                .selectKey((tokenId, piece) -> piece.eventId)
                .groupByKey(Grouped.with(REPARTITION, Serdes.String(), pieceSerde()))
                .aggregate(Partial::new, (eventId, piece, partial) -> partial.add(piece),
                        Materialized.<String, Partial, KeyValueStore<Bytes, byte[]>>as(PARTIALS_STORE)
                                .withKeySerde(Serdes.String()).withValueSerde(partialSerde()))
                .toStream()
                .filter((eventId, partial) -> partial != null && partial.complete())
                .mapValues((eventId, partial) -> partial.toRecord(eventId, c))
                .to(c.outputTopic(), Produced.with(Serdes.String(), enriched));
        return b.build();
    }

    /** Keras pad_sequences on the ids: one piece per kept token at its final position, plus the padding piece. */
    static List<KeyValue<Integer, Piece>> pieces(TokenEvent event, EnrichOptions o) {
        if (event == null || event.getTokenIds() == null) {
            return List.of();
        }
        List<Integer> ids = event.getTokenIds();
        int n = ids.size();
        int maxLen = o.maxLen();
        int kept = Math.min(n, maxLen);
        int start = n > maxLen && o.truncating() == EnrichOptions.Side.PRE ? n - maxLen : 0;
        int offset = o.padding() == EnrichOptions.Side.PRE ? maxLen - kept : 0;
        boolean padded = kept < maxLen;
        int expected = kept + (padded ? 1 : 0);
        List<KeyValue<Integer, Piece>> out = new ArrayList<>(expected);
        for (int i = 0; i < kept; i++) {
            int id = ids.get(start + i);
            out.add(KeyValue.pair(id, new Piece(event.getId(), offset + i, id, expected, kept, n > maxLen, null)));
        }
        if (padded) {
            out.add(KeyValue.pair(0, new Piece(event.getId(), Piece.PADDING, 0, expected, kept, false, null)));
        }
        return out;
    }

    /** One token of one event on its way through the join: its final position and, after the join, its vector. */
    static final class Piece {
        /** Position of the piece that carries the padding vector (row 0). */
        static final int PADDING = -1;

        final String eventId;
        final int slot;
        final int tokenId;
        final int expected;
        final int length;
        final boolean truncated;
        final byte[] vector;

        Piece(String eventId, int slot, int tokenId, int expected, int length, boolean truncated, byte[] vector) {
            this.eventId = eventId;
            this.slot = slot;
            this.tokenId = tokenId;
            this.expected = expected;
            this.length = length;
            this.truncated = truncated;
            this.vector = vector;
        }

        Piece withVector(byte[] v) {
            return new Piece(eventId, slot, tokenId, expected, length, truncated, v);
        }
    }

    /** The pieces of one event collected so far. */
    static final class Partial {
        int expected;
        int length;
        boolean truncated;
        final List<int[]> positions = new ArrayList<>(); // {slot, tokenId}
        final List<byte[]> vectors = new ArrayList<>();

        boolean complete() {
            return !positions.isEmpty() && positions.size() == expected;
        }

        Partial add(Piece p) {
            if (complete()) { // the same event id again: start over
                positions.clear();
                vectors.clear();
            }
            expected = p.expected;
            length = p.length;
            truncated = p.truncated;
            positions.add(new int[] {p.slot, p.tokenId});
            vectors.add(p.vector);
            return this;
        }

        EnrichedEvent toRecord(String eventId, Config c) {
            int maxLen = c.options().maxLen();
            int rowBytes = vectors.get(0).length;
            boolean zeros = c.options().padVector() == EnrichOptions.PadVector.ZEROS;
            byte[] embeddings = new byte[maxLen * rowBytes];
            int[] ids = new int[maxLen];
            boolean[] filled = new boolean[maxLen];
            byte[] padVector = null;
            for (int i = 0; i < positions.size(); i++) {
                int slot = positions.get(i)[0];
                if (slot == Piece.PADDING) {
                    padVector = vectors.get(i);
                    continue;
                }
                ids[slot] = positions.get(i)[1];
                filled[slot] = true;
                if (!(zeros && ids[slot] == 0)) {
                    System.arraycopy(vectors.get(i), 0, embeddings, slot * rowBytes, rowBytes);
                }
            }
            List<Integer> idList = new ArrayList<>(maxLen);
            List<Boolean> mask = new ArrayList<>(maxLen);
            for (int p = 0; p < maxLen; p++) {
                if (!filled[p] && padVector != null && !zeros) {
                    System.arraycopy(padVector, 0, embeddings, p * rowBytes, rowBytes);
                }
                idList.add(ids[p]);
                mask.add(ids[p] != 0);
            }
            return EnrichedEvent.newBuilder()
                    .setId(eventId)
                    .setTable(c.table())
                    .setTableVersion(c.tableVersion())
                    .setIds(idList)
                    .setMask(mask)
                    .setLength(length)
                    .setTruncated(truncated)
                    .setDim(rowBytes / Float.BYTES)
                    .setEmbeddings(ByteBuffer.wrap(embeddings))
                    .build();
        }
    }

    /** Binary serde of a joined piece (the repartition topic's values). */
    static Serde<Piece> pieceSerde() {
        return Serdes.serdeFrom(NaiveTopology::writePiece, NaiveTopology::readPiece);
    }

    /** Binary serde of a partial sequence (the aggregate store's values). */
    static Serde<Partial> partialSerde() {
        return Serdes.serdeFrom(NaiveTopology::writePartial, NaiveTopology::readPartial);
    }

    static byte[] writePiece(String topic, Piece p) {
        if (p == null) return null;
        byte[] id = p.eventId.getBytes(StandardCharsets.UTF_8);
        int vlen = p.vector == null ? -1 : p.vector.length;
        ByteBuffer b = ByteBuffer.allocate(4 + id.length + 4 * 4 + 1 + 4 + Math.max(vlen, 0));
        b.putInt(id.length).put(id).putInt(p.slot).putInt(p.tokenId).putInt(p.expected).putInt(p.length)
                .put((byte) (p.truncated ? 1 : 0)).putInt(vlen);
        if (vlen > 0) b.put(p.vector);
        return b.array();
    }

    static Piece readPiece(String topic, byte[] data) {
        if (data == null) return null;
        ByteBuffer b = ByteBuffer.wrap(data);
        byte[] id = new byte[b.getInt()];
        b.get(id);
        int slot = b.getInt();
        int tokenId = b.getInt();
        int expected = b.getInt();
        int length = b.getInt();
        boolean truncated = b.get() != 0;
        int vlen = b.getInt();
        byte[] v = null;
        if (vlen >= 0) {
            v = new byte[vlen];
            b.get(v);
        }
        return new Piece(new String(id, StandardCharsets.UTF_8), slot, tokenId, expected, length, truncated, v);
    }

    static byte[] writePartial(String topic, Partial p) {
        if (p == null) return null;
        int size = 3 * 4 + 1;
        for (byte[] v : p.vectors) size += 3 * 4 + v.length;
        ByteBuffer b = ByteBuffer.allocate(size);
        b.putInt(p.expected).putInt(p.length).put((byte) (p.truncated ? 1 : 0)).putInt(p.positions.size());
        for (int i = 0; i < p.positions.size(); i++) {
            b.putInt(p.positions.get(i)[0]).putInt(p.positions.get(i)[1]).putInt(p.vectors.get(i).length).put(p.vectors.get(i));
        }
        return b.array();
    }

    static Partial readPartial(String topic, byte[] data) {
        if (data == null) return null;
        ByteBuffer b = ByteBuffer.wrap(data);
        Partial p = new Partial();
        p.expected = b.getInt();
        p.length = b.getInt();
        p.truncated = b.get() != 0;
        int count = b.getInt();
        for (int i = 0; i < count; i++) {
            p.positions.add(new int[] {b.getInt(), b.getInt()});
            byte[] v = new byte[b.getInt()];
            b.get(v);
            p.vectors.add(v);
        }
        return p;
    }

    /** Row {@code r} of little-endian float32 table bytes (what the vectors topic carries). */
    static byte[] row(byte[] table, int dim, int r) {
        int rowBytes = dim * Float.BYTES;
        return Arrays.copyOfRange(table, r * rowBytes, (r + 1) * rowBytes);
    }
}
