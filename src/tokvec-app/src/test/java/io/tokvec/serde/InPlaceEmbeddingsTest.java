package io.tokvec.serde;

import io.tokvec.avro.EnrichedEvent;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.EnrichException;
import io.tokvec.core.EnrichOptions;
import io.tokvec.core.EnrichResult;
import io.tokvec.core.Enricher;
import io.tokvec.core.IntList;
import io.tokvec.core.Pooling;
import io.tokvec.core.TableDtype;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Embeddings gathered in place ({@link InPlaceEmbeddings}) and the serializer writing the record
 * around them: the very array comes out, holding the bytes Avro's own writer frames for the same
 * record; and every case it must not take: a second serialization, another thread's record, a
 * record that no longer fits the placed array, a record never serialized.
 */
class InPlaceEmbeddingsTest {

    private static final String SCOPE = "InPlaceEmbeddingsTest";
    private static final String TOPIC = "enriched";

    private final SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(SCOPE);
    private final ConfluentAvroSerializer<EnrichedEvent> serializer = new ConfluentAvroSerializer<>(registry, false);

    @AfterEach
    void drop() {
        InPlaceEmbeddings.done();
        MockSchemaRegistry.dropScope(SCOPE);
    }

    private static EmbeddingTable table(int rows, int dim, long seed) {
        Random rnd = new Random(seed);
        float[] v = new float[rows * dim];
        for (int i = 0; i < v.length; i++) v[i] = rnd.nextFloat() - 0.5f;
        return EmbeddingTable.fromFloats("words", 70_000L, rows, dim, v, null);
    }

    /** The output record as the topology builds it (streams.OutputRecords): views over the result. */
    private static EnrichedEvent record(String id, Long ts, Map<String, String> metadata, EnrichResult r) {
        List<Boolean> mask = new ArrayList<>();
        for (boolean b : r.mask()) mask.add(b);
        return EnrichedEvent.newBuilder().setId(id).setTable(r.table()).setTableVersion(r.tableVersion())
                .setIds(new IntList(r.ids(), r.ids().length)).setMask(mask).setLength(r.length())
                .setTruncated(r.truncated()).setDim(r.dim()).setEmbeddings(r.embeddingsBuffer())
                .setPooled(r.pooled() == null ? null : ByteBuffer.wrap(r.pooled())).setDtype(r.dtype().configName())
                .setTimestampMs(ts).setMetadata(metadata).build();
    }

    private byte[] avroFramed(EnrichedEvent e) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        new SpecificDatumWriter<>(EnrichedEvent.class).write(e, enc);
        enc.flush();
        return WireFormat.frame(registry.register(TOPIC + "-value", EnrichedEvent.getClassSchema()), out.toByteArray());
    }

    @Test
    void shouldReturnTheArrayTheEmbeddingsWereGatheredIntoHoldingTheBytesAvroWrites() throws Exception {
        Random rnd = new Random(17);
        for (Pooling.Mode pooling : Pooling.Mode.values()) {
            for (TableDtype dtype : List.of(TableDtype.FLOAT32, TableDtype.FLOAT16)) {
                EnrichOptions options = EnrichOptions.of(40).withPooling(pooling, true);
                InPlaceEmbeddings inPlace = new InPlaceEmbeddings(pooling != Pooling.Mode.NONE);
                Enricher enricher = new Enricher(options, dtype).gatherInto(inPlace);
                EmbeddingTable table = table(300, 24, rnd.nextLong());
                for (int i = 0; i < 30; i++) {
                    int[] ids = new int[1 + rnd.nextInt(60)];
                    for (int k = 0; k < ids.length; k++) ids[k] = rnd.nextInt(300);
                    String id = "e-" + i + (i % 3 == 0 ? "-\u00e9v\u00e9nement" : "");
                    Long ts = i % 2 == 0 ? null : rnd.nextLong();
                    Map<String, String> metadata = new LinkedHashMap<>();
                    for (int k = rnd.nextInt(3); k > 0; k--) metadata.put("k" + k, "v" + rnd.nextInt());
                    inPlace.event(id, ts, metadata);
                    EnrichResult r = enricher.enrichIds(table, ids, ids.length);
                    EnrichedEvent e = record(id, ts, metadata, r);
                    byte[] placed = e.getEmbeddings().array();

                    byte[] bytes = serializer.serialize(TOPIC, e);

                    String what = pooling + " " + dtype + " event " + i;
                    assertThat(bytes).as(what).isSameAs(placed).isEqualTo(avroFramed(e));
                    byte[] again = serializer.serialize(TOPIC, e);
                    assertThat(again).as("%s: serialized again, into an array of its own", what).isNotSameAs(placed)
                            .isEqualTo(bytes);
                }
            }
        }
    }

    @Test
    void shouldNotWriteIntoThePlacedArrayWhenTheRecordNoLongerFitsIt() throws Exception {
        InPlaceEmbeddings inPlace = new InPlaceEmbeddings(false);
        Enricher enricher = new Enricher(EnrichOptions.of(8)).gatherInto(inPlace);
        inPlace.event("e-1", 5L, Map.of());
        EnrichResult r = enricher.enrichIds(table(20, 4, 1), new int[]{3, 4, 5}, 3);
        EnrichedEvent e = record("e-1", 5L, Map.of("added", "after the place"), r);
        byte[] placed = e.getEmbeddings().array();
        byte[] before = placed.clone();

        byte[] bytes = serializer.serialize(TOPIC, e);

        assertThat(bytes).isNotSameAs(placed).isEqualTo(avroFramed(e));
        assertThat(placed).as("the placed array is left as it was").isEqualTo(before);
        int offset = e.getEmbeddings().position();
        assertThat(Arrays.copyOfRange(placed, 0, offset)).as("nothing written before the embeddings").containsOnly(0);
    }

    @Test
    void shouldNotTakeAnArrayPlacedOnAnotherThreadOrDroppedAfterADeadLetter() throws Exception {
        InPlaceEmbeddings inPlace = new InPlaceEmbeddings(false);
        Enricher enricher = new Enricher(EnrichOptions.of(6)).gatherInto(inPlace);
        inPlace.event("e-2", null, Map.of());
        EnrichedEvent e = record("e-2", null, Map.of(), enricher.enrichIds(table(10, 3, 2), new int[]{1, 2}, 2));
        byte[] placed = e.getEmbeddings().array();
        byte[][] fromOtherThread = new byte[1][];
        Thread t = new Thread(() -> fromOtherThread[0] = serializer.serialize(TOPIC, e));
        t.start();
        t.join();
        assertThat(fromOtherThread[0]).isNotSameAs(placed).isEqualTo(avroFramed(e));

        InPlaceEmbeddings.done(); // as the processor does after a record that was dead-lettered
        assertThat(serializer.serialize(TOPIC, e)).isNotSameAs(placed).isEqualTo(avroFramed(e));
        assertThat(Arrays.copyOfRange(placed, 0, e.getEmbeddings().position())).containsOnly(0);
    }

    @Test
    void shouldWriteRecordsWithoutAPlaceAsBefore() throws IOException, EnrichException {
        Enricher enricher = new Enricher(EnrichOptions.of(5)); // no target: its own buffer
        EnrichedEvent e = record("e-3", 1L, Map.of("a", "b"), enricher.enrichIds(table(10, 2, 3), new int[]{7}, 1));
        byte[] bytes = serializer.serialize(TOPIC, e);
        assertThat(bytes).isNotSameAs(e.getEmbeddings().array()).isEqualTo(avroFramed(e));
    }
}
