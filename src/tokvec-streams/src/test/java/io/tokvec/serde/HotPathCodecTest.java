package io.tokvec.serde;

import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.TokenEvent;
import io.tokvec.core.FloatList;
import io.tokvec.core.IntList;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hot-path codecs (TokenEvent decode, EnrichedEvent encode without a boxed value per token)
 * against Avro's own SpecificDatumReader/Writer on fuzzed records: the same records, the same
 * bytes; and the fallback to Avro's resolving reader for any other writer schema.
 */
class HotPathCodecTest {

    private static final String SCOPE = "HotPathCodecTest";
    private static final int RECORDS = 2_000;

    @AfterEach
    void dropScope() {
        MockSchemaRegistry.dropScope(SCOPE);
    }

    @Test
    void shouldWriteTheBytesAvroWritesWhenEnrichedEventsAreFuzzed() throws IOException {
        Random rnd = new Random(20261202);
        DatumWriter<EnrichedEvent> avro = new SpecificDatumWriter<>(EnrichedEvent.class);
        EnrichedEventWriter fast = new EnrichedEventWriter();
        for (int i = 0; i < RECORDS; i++) {
            EnrichedEvent e = enrichedEvent(rnd);
            assertThat(encode(fast::write, e)).as("record %d: %s", i, e).isEqualTo(encode(avro::write, e));
        }
    }

    @Test
    void shouldKnowTheExactEncodedSizeWhenEnrichedEventsAreFuzzed() throws IOException {
        Random rnd = new Random(20261203);
        EnrichedEventWriter fast = new EnrichedEventWriter();
        for (int i = 0; i < RECORDS; i++) {
            EnrichedEvent e = enrichedEvent(rnd);
            assertThat(EnrichedEventWriter.encodedSize(e)).as("record %d: %s", i, e).isEqualTo(encode(fast::write, e).length);
        }
        EnrichedEvent lone = enrichedEvent(new Random(3));
        lone.setId("x\uD800y"); // an unpaired surrogate: UTF-8 encoding writes '?' for it
        lone.setMetadata(Map.of("k\uDFFF", "\uD83D\uDE00"));
        assertThat(EnrichedEventWriter.encodedSize(lone)).isEqualTo(encode(fast::write, lone).length);
    }

    @Test
    void shouldReadWhatAvroReadsWhenTokenEventsAreFuzzed() throws IOException {
        Random rnd = new Random(42);
        DatumWriter<TokenEvent> writer = new SpecificDatumWriter<>(TokenEvent.class);
        SpecificDatumReader<TokenEvent> avro = new SpecificDatumReader<>(TokenEvent.class);
        TokenEventReader fast = new TokenEventReader();
        for (int i = 0; i < RECORDS; i++) {
            TokenEvent e = tokenEvent(rnd);
            byte[] bytes = encode(writer::write, e);
            BinaryDecoder d = DecoderFactory.get().binaryDecoder(bytes, null);
            TokenEvent read = fast.read(null, d);
            assertThat(d.isEnd()).as("record %d read to its end", i).isTrue();
            assertThat(read).as("record %d", i).isEqualTo(avro.read(null, DecoderFactory.get().binaryDecoder(bytes, null)))
                    .isEqualTo(e);
            if (e.getTokenIds() != null) assertThat(read.getTokenIds()).isInstanceOf(IntList.class);
            if (e.getWeights() != null) assertThat(read.getWeights()).isInstanceOf(FloatList.class);
        }
    }

    @Test
    void shouldDecodeWithAvroSchemaResolutionWhenTheWriterSchemaIsAnotherVersion() throws IOException {
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(SCOPE);
        ConfluentAvroDeserializer<TokenEvent> deserializer = new ConfluentAvroDeserializer<>(TokenEvent.class, registry, false);
        ConfluentAvroSerializer<TokenEvent> serializer = new ConfluentAvroSerializer<>(registry, false);
        TokenEvent e = TokenEvent.newBuilder().setId("e-1").setTokenIds(List.of(3, 200, 70_000)).setTimestampMs(5L)
                .setMetadata(Map.of("k", "v")).build();

        TokenEvent own = deserializer.deserialize("events", serializer.serialize("events", e));
        assertThat(own).isEqualTo(e);
        assertThat(own.getTokenIds()).as("own schema: the hot path").isInstanceOf(IntList.class);

        Schema newer = withExtraField(TokenEvent.getClassSchema());
        int newerId = registry.register("events-value", newer);
        GenericRecord r = new GenericData.Record(newer);
        for (Schema.Field f : TokenEvent.getClassSchema().getFields()) r.put(f.name(), e.get(f.pos()));
        r.put("source", "a newer producer");
        byte[] framed = WireFormat.frame(newerId, encode(new GenericDatumWriter<GenericRecord>(newer)::write, r));
        TokenEvent resolved = deserializer.deserialize("events", framed);
        assertThat(resolved).isEqualTo(e);
        assertThat(resolved.getTokenIds()).as("another writer schema: Avro's resolving reader").isNotInstanceOf(IntList.class);
    }

    @Test
    void shouldFrameTheBytesAvroWritesWhenTheSerializerWritesAnEnrichedEvent() throws IOException {
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(SCOPE);
        ConfluentAvroSerializer<EnrichedEvent> serializer = new ConfluentAvroSerializer<>(registry, false);
        EnrichedEvent e = enrichedEvent(new Random(7));

        byte[] framed = serializer.serialize("out", e);

        int id = registry.register("out-value", EnrichedEvent.getClassSchema());
        assertThat(framed).isEqualTo(WireFormat.frame(id, encode(new SpecificDatumWriter<>(EnrichedEvent.class)::write, e)));
        Random rnd = new Random(11);
        for (int i = 0; i < 200; i++) { // written into exact-size arrays: each one the record's own
            EnrichedEvent next = enrichedEvent(rnd);
            byte[] bytes = serializer.serialize("out", next);
            assertThat(bytes).as("record %d", i)
                    .isEqualTo(WireFormat.frame(id, encode(new SpecificDatumWriter<>(EnrichedEvent.class)::write, next)));
            assertThat(serializer.serialize("out", e)).as("after record %d", i).isEqualTo(framed);
        }
    }

    @FunctionalInterface
    private interface Write<T> {
        void write(T datum, BinaryEncoder out) throws IOException;
    }

    private static <T> byte[] encode(Write<T> write, T datum) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        write.write(datum, enc);
        enc.flush();
        return out.toByteArray();
    }

    private static EnrichedEvent enrichedEvent(Random rnd) {
        int maxLen = rnd.nextInt(4) == 0 ? 0 : 1 + rnd.nextInt(300);
        int[] ids = new int[maxLen];
        List<Boolean> mask = new ArrayList<>();
        for (int i = 0; i < maxLen; i++) {
            ids[i] = anInt(rnd);
            mask.add(ids[i] != 0);
        }
        List<Integer> idList = rnd.nextBoolean() ? new IntList(ids, maxLen) : new ArrayList<>(new IntList(ids, maxLen));
        byte[] emb = new byte[rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(5000)];
        rnd.nextBytes(emb);
        ByteBuffer pooled = null;
        if (rnd.nextBoolean()) {
            byte[] p = new byte[rnd.nextInt(600)];
            rnd.nextBytes(p);
            pooled = ByteBuffer.wrap(p);
        }
        return EnrichedEvent.newBuilder()
                .setId(aString(rnd)).setTable(aString(rnd)).setTableVersion(aLong(rnd))
                .setIds(idList).setMask(mask).setLength(anInt(rnd)).setTruncated(rnd.nextBoolean()).setDim(anInt(rnd))
                .setEmbeddings(ByteBuffer.wrap(emb))
                .setTimestampMs(rnd.nextBoolean() ? null : aLong(rnd))
                .setMetadata(aMap(rnd))
                .setPooled(pooled)
                .setDtype(rnd.nextBoolean() ? "float32" : aString(rnd))
                .build();
    }

    private static TokenEvent tokenEvent(Random rnd) {
        TokenEvent.Builder b = TokenEvent.newBuilder().setId(aString(rnd)).setMetadata(aMap(rnd))
                .setTimestampMs(rnd.nextBoolean() ? null : aLong(rnd));
        int n = rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(400);
        if (rnd.nextInt(3) > 0) {
            List<Integer> ids = new ArrayList<>();
            for (int i = 0; i < n; i++) ids.add(anInt(rnd));
            b.setTokenIds(ids);
        }
        if (rnd.nextInt(3) == 0) {
            List<String> tokens = new ArrayList<>();
            for (int i = 0; i < n; i++) tokens.add(aString(rnd));
            b.setTokens(tokens);
        }
        if (rnd.nextBoolean()) {
            List<Float> weights = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = rnd.nextInt(10);
                weights.add(k == 0 ? Float.NaN : k == 1 ? Float.NEGATIVE_INFINITY : k == 2 ? -0f : (float) rnd.nextGaussian());
            }
            b.setWeights(weights);
        }
        return b.build();
    }

    private static int anInt(Random rnd) {
        return switch (rnd.nextInt(5)) {
            case 0 -> 0;
            case 1 -> rnd.nextInt(128);
            case 2 -> rnd.nextInt(100_000);
            case 3 -> -rnd.nextInt(1000);
            default -> rnd.nextInt();
        };
    }

    private static long aLong(Random rnd) {
        return rnd.nextBoolean() ? rnd.nextLong() : rnd.nextInt(1000);
    }

    private static String aString(Random rnd) {
        String[] pieces = {"", "a", "glove", "naïve", "日本語", "😀", "[UNK]", " ", "\u0000"};
        StringBuilder sb = new StringBuilder();
        for (int i = rnd.nextInt(4); i > 0; i--) sb.append(pieces[rnd.nextInt(pieces.length)]);
        return sb.toString();
    }

    private static Map<String, String> aMap(Random rnd) {
        Map<String, String> m = rnd.nextBoolean() ? new HashMap<>() : new LinkedHashMap<>();
        for (int i = rnd.nextInt(4); i > 0; i--) m.put(aString(rnd) + i, aString(rnd));
        return m;
    }

    private static Schema withExtraField(Schema schema) {
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field f : schema.getFields()) fields.add(new Schema.Field(f, f.schema()));
        fields.add(new Schema.Field("source", Schema.create(Schema.Type.STRING), null, "unknown"));
        return Schema.createRecord(schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
    }
}
