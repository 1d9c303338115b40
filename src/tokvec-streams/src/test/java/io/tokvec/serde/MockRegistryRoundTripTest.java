package io.tokvec.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.TokenEvent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class MockRegistryRoundTripTest {

    private static final String SCOPE = MockRegistryRoundTripTest.class.getSimpleName();
    private static final Map<String, Object> CONFIG = Map.of(SchemaRegistries.URL, "mock://" + SCOPE);

    @AfterEach
    void dropScope() {
        MockSchemaRegistry.dropScope(SCOPE);
    }

    static List<SpecificRecord> records() {
        return SampleRecords.all();
    }

    @ParameterizedTest
    @MethodSource("records")
    @SuppressWarnings({"unchecked", "rawtypes"})
    void shouldWriteConfluentBytesAndReadThemBackWhenRoundTrippingEveryRecordType(SpecificRecord record)
            throws IOException {
        ConfluentAvroSerde serde = new ConfluentAvroSerde(record.getClass());
        serde.configure(CONFIG, false);

        byte[] bytes = serde.serializer().serialize("topic-a", record);

        int id = MockSchemaRegistry.getClientForScope(SCOPE).getId("topic-a-value", record.getSchema());
        byte[] avro = SampleRecords.avroBinary(record);
        assertThat(bytes[0]).isEqualTo((byte) 0);
        assertThat(Arrays.copyOfRange(bytes, 1, 5))
                .containsExactly(ByteBuffer.allocate(4).putInt(id).array());
        assertThat(Arrays.copyOfRange(bytes, 5, bytes.length)).isEqualTo(avro);
        assertThat(bytes).isEqualTo(SampleRecords.frame(id, avro));
        assertThat(WireFormat.schemaId(bytes)).isEqualTo(id);

        Object back = serde.deserializer().deserialize("topic-a", bytes);
        assertThat(back).isEqualTo(record);
        serde.close();
    }

    @Test
    void shouldStartIdsAtOneAndShareThemAcrossSubjectsWhenSameSchemaIsRegisteredTwice() throws IOException {
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(SCOPE);
        var serializer = new ConfluentAvroSerializer<TokenEvent>(registry, false);
        var keySerializer = new ConfluentAvroSerializer<TokenEvent>(registry, true);

        byte[] a = serializer.serialize("a", SampleRecords.tokenEvent("x", 1));
        byte[] b = serializer.serialize("b", SampleRecords.tokenEvent("y", 2));
        byte[] k = keySerializer.serialize("a", SampleRecords.tokenEvent("z", 3));
        int other = registry.register("c-value", EnrichedEvent.getClassSchema());

        assertThat(WireFormat.schemaId(a)).isEqualTo(1);
        assertThat(WireFormat.schemaId(b)).isEqualTo(1);
        assertThat(WireFormat.schemaId(k)).isEqualTo(1);
        assertThat(other).isEqualTo(2);
        assertThat(registry.getId("a-value", TokenEvent.getClassSchema())).isEqualTo(1);
        assertThat(registry.getId("b-value", TokenEvent.getClassSchema())).isEqualTo(1);
        assertThat(registry.getId("a-key", TokenEvent.getClassSchema())).isEqualTo(1);
        assertThatThrownBy(() -> registry.getId("b-key", TokenEvent.getClassSchema()))
                .isInstanceOf(UnknownSchemaException.class);
    }

    @Test
    void shouldShareRegistryWhenTwoSerdesUseTheSameMockScope() {
        var serializer = new ConfluentAvroSerializer<TokenEvent>();
        serializer.configure(CONFIG, false);
        var deserializer = new ConfluentAvroDeserializer<>(TokenEvent.class);
        deserializer.configure(CONFIG, false);

        TokenEvent event = SampleRecords.tokenEvent("shared", 4, 5);
        assertThat(deserializer.deserialize("t", serializer.serialize("t", event))).isEqualTo(event);
        assertThat(SchemaRegistries.forConfig(CONFIG)).isSameAs(MockSchemaRegistry.getClientForScope(SCOPE));
    }

    @Test
    void shouldForgetSchemasWhenScopeIsDropped() {
        var serializer = new ConfluentAvroSerializer<TokenEvent>(MockSchemaRegistry.getClientForScope(SCOPE), false);
        byte[] bytes = serializer.serialize("t", SampleRecords.tokenEvent("x", 1));
        MockSchemaRegistry.dropScope(SCOPE);

        var deserializer = new ConfluentAvroDeserializer<>(TokenEvent.class);
        deserializer.configure(CONFIG, false);
        assertThatThrownBy(() -> deserializer.deserialize("t", bytes))
                .isInstanceOfSatisfying(WireFormatException.class,
                        e -> assertThat(e.reason()).isEqualTo(WireFormatException.Reason.UNKNOWN_SCHEMA));
    }

    @Test
    void shouldReturnNullWhenRecordOrBytesAreNull() {
        var serde = new ConfluentAvroSerde<>(TokenEvent.class, MockSchemaRegistry.getClientForScope(SCOPE), false);
        assertThat(serde.serializer().serialize("t", null)).isNull();
        assertThat(serde.deserializer().deserialize("t", null)).isNull();
    }

    /** A Confluent producer with an older TokenEvent schema: no tokens, timestamp_ms or metadata. */
    @Test
    void shouldResolveToReaderSchemaWhenRecordWasWrittenWithOlderSchema() throws IOException {
        Schema older = SchemaBuilder.record("TokenEvent").namespace("io.tokvec.avro").fields()
                .requiredString("id")
                .name("token_ids").type().unionOf().nullType().and().array().items().intType().endUnion()
                .nullDefault()
                .endRecord();
        GenericRecord old = new GenericData.Record(older);
        old.put("id", "old-1");
        old.put("token_ids", List.of(3, 1, 4));
        int id = MockSchemaRegistry.getClientForScope(SCOPE).register("in-value", older);
        byte[] framed = SampleRecords.frame(id, SampleRecords.avroBinary(older, old));

        var deserializer = new ConfluentAvroDeserializer<>(TokenEvent.class,
                MockSchemaRegistry.getClientForScope(SCOPE), false);
        TokenEvent event = deserializer.deserialize("in", framed);

        assertThat(event.getId()).isEqualTo("old-1");
        assertThat(event.getTokenIds()).containsExactly(3, 1, 4);
        assertThat(event.getTokens()).isNull();
        assertThat(event.getTimestampMs()).isNull();
        assertThat(event.getMetadata()).isEmpty();
    }

    /** A producer with a newer TokenEvent schema (an extra field): the reader skips it. */
    @Test
    void shouldSkipUnknownFieldsWhenRecordWasWrittenWithNewerSchema() throws IOException {
        Schema newer = SchemaBuilder.record("TokenEvent").namespace("io.tokvec.avro").fields()
                .requiredString("id")
                .name("tokens").type().unionOf().nullType().and().array().items().stringType().endUnion()
                .nullDefault()
                .requiredDouble("score")
                .name("metadata").type().map().values().stringType().mapDefault(Map.of())
                .endRecord();
        GenericRecord rec = new GenericData.Record(newer);
        rec.put("id", "new-1");
        rec.put("tokens", List.of("a", "b"));
        rec.put("score", 0.75);
        rec.put("metadata", Map.of("m", "n"));
        int id = MockSchemaRegistry.getClientForScope(SCOPE).register("in-value", newer);
        byte[] framed = SampleRecords.frame(id, SampleRecords.avroBinary(newer, rec));

        var deserializer = new ConfluentAvroDeserializer<>(TokenEvent.class,
                MockSchemaRegistry.getClientForScope(SCOPE), false);
        TokenEvent event = deserializer.deserialize("in", framed);

        assertThat(event.getId()).isEqualTo("new-1");
        assertThat(event.getTokens()).containsExactly("a", "b");
        assertThat(event.getTokenIds()).isNull();
        assertThat(event.getMetadata()).containsEntry("m", "n");
    }

    @Test
    void shouldUseRegisteredIdWhenAutoRegisterIsOff() throws IOException {
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(SCOPE);
        registry.register("other-value", EnrichedEvent.getClassSchema());
        int id = registry.register("t-value", TokenEvent.getClassSchema());
        var serializer = new ConfluentAvroSerializer<TokenEvent>();
        serializer.configure(Map.of(SchemaRegistries.URL, "mock://" + SCOPE,
                ConfluentAvroSerializer.AUTO_REGISTER_SCHEMAS, "false"), false);

        assertThat(WireFormat.schemaId(serializer.serialize("t", SampleRecords.tokenEvent("x", 1))))
                .isEqualTo(id).isEqualTo(2);
        assertThatThrownBy(() -> serializer.serialize("unregistered", SampleRecords.tokenEvent("x", 1)))
                .isInstanceOf(SerializationException.class)
                .isNotInstanceOf(WireFormatException.class)
                .hasMessageContaining("not registered under subject 'unregistered-value'")
                .hasMessageContaining("auto.register.schemas=false");
    }

    @Test
    void shouldRejectRecordWhenRequiredFieldIsNull() {
        var serializer = new ConfluentAvroSerializer<TokenEvent>(MockSchemaRegistry.getClientForScope(SCOPE), false);
        TokenEvent broken = new TokenEvent();
        assertThatThrownBy(() -> serializer.serialize("t", broken))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("io.tokvec.avro.TokenEvent");
        // the per-thread buffer is still usable afterwards
        TokenEvent ok = SampleRecords.tokenEvent("ok", 1);
        assertThat(serializer.serialize("t", ok))
                .isEqualTo(SampleRecords.frame(1, SampleRecords.avroBinary(ok)));
    }

    @Test
    void shouldWriteLargeRecordsWhenPayloadExceedsInitialBuffer() {
        var serde = new ConfluentAvroSerde<>(EnrichedEvent.class, MockSchemaRegistry.getClientForScope(SCOPE), false);
        float[] values = new float[300 * 1000];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.5f;
        }
        EnrichedEvent big = EnrichedEvent.newBuilder().setId("big").setTable("t").setTableVersion(1)
                .setIds(List.of(1)).setMask(List.of(true)).setLength(1).setTruncated(false).setDim(300)
                .setEmbeddings(SampleRecords.floats(values)).build();

        byte[] bytes = serde.serializer().serialize("out", big);

        assertThat(bytes).isEqualTo(SampleRecords.frame(1, SampleRecords.avroBinary(big)));
        assertThat(serde.deserializer().deserialize("out", bytes)).isEqualTo(big);
    }
}
