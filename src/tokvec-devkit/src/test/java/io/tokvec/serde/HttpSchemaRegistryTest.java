package io.tokvec.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokvec.avro.EnrichedEvent;
import io.tokvec.devkit.TestSchemaRegistry;
import io.tokvec.avro.TokenEvent;
import io.tokvec.serde.WireFormatException.Reason;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The serdes against the devkit's schema registry ({@link TestSchemaRegistry}) over real HTTP on 127.0.0.1. */
class HttpSchemaRegistryTest {

    @RegisterExtension
    final TestSchemaRegistry server = new TestSchemaRegistry();

    private Map<String, Object> config() {
        Map<String, Object> config = new HashMap<>();
        config.put(SchemaRegistries.URL, server.url());
        config.put(SchemaRegistries.REQUEST_TIMEOUT_MS, "5000");
        return config;
    }

    private Map<String, Object> userInfoConfig() {
        Map<String, Object> config = config();
        config.put(SchemaRegistries.BASIC_AUTH_CREDENTIALS_SOURCE, "USER_INFO");
        config.put(SchemaRegistries.BASIC_AUTH_USER_INFO, "alice:s3cret");
        return config;
    }

    @Test
    void shouldRegisterOnceUnderTopicValueSubjectWhenSerializingManyRecords() throws IOException {
        server.requireBasicAuth("alice", "s3cret");
        var serde = new ConfluentAvroSerde<>(TokenEvent.class);
        serde.configure(userInfoConfig(), false);

        List<TokenEvent> sent = new ArrayList<>();
        List<byte[]> framed = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            TokenEvent event = SampleRecords.tokenEvent("ev-" + i, i, i + 1);
            sent.add(event);
            framed.add(serde.serializer().serialize("events", event));
        }

        assertThat(server.registrations()).containsExactly("events-value");
        assertThat(server.contentTypes()).containsOnly(HttpSchemaRegistryClient.CONTENT_TYPE);
        assertThat(server.authorizations()).isNotEmpty().containsOnly("Basic YWxpY2U6czNjcmV0");
        for (int i = 0; i < sent.size(); i++) {
            assertThat(framed.get(i)).isEqualTo(SampleRecords.frame(1, SampleRecords.avroBinary(sent.get(i))));
            assertThat(serde.deserializer().deserialize("events", framed.get(i))).isEqualTo(sent.get(i));
        }
        // the serde's deserializer shares the serializer's client: the id was learnt at registration
        assertThat(server.fetches()).isZero();
        serde.close();
    }

    @Test
    void shouldFetchSchemaOnceWhenSeparateDeserializerReadsManyRecords() {
        var serializer = new ConfluentAvroSerializer<EnrichedEvent>();
        serializer.configure(config(), false);
        var deserializer = new ConfluentAvroDeserializer<>(EnrichedEvent.class);
        deserializer.configure(config(), false);
        EnrichedEvent event = (EnrichedEvent) SampleRecords.all().get(2);

        for (int i = 0; i < 50; i++) {
            assertThat(deserializer.deserialize("out", serializer.serialize("out", event))).isEqualTo(event);
        }

        assertThat(server.registrations()).containsExactly("out-value");
        assertThat(server.fetches()).isEqualTo(1);
    }

    @Test
    void shouldUseKeySubjectAndSameIdWhenSerializingKeys() {
        var keys = new ConfluentAvroSerializer<TokenEvent>();
        keys.configure(config(), true);
        var values = new ConfluentAvroSerializer<TokenEvent>();
        values.configure(config(), false);

        byte[] k = keys.serialize("t", SampleRecords.tokenEvent("k", 1));
        byte[] v = values.serialize("t", SampleRecords.tokenEvent("v", 1));

        assertThat(server.registrations()).containsExactly("t-key", "t-value");
        assertThat(WireFormat.schemaId(k)).isEqualTo(WireFormat.schemaId(v)).isEqualTo(1);
    }

    @Test
    void shouldSendCredentialsFromUrlWhenSourceIsUrl() {
        server.requireBasicAuth("bob", "p@ss:word");
        Map<String, Object> config = config();
        config.put(SchemaRegistries.URL, server.url().replace("http://", "http://bob:p%40ss%3Aword@"));
        config.put(SchemaRegistries.BASIC_AUTH_CREDENTIALS_SOURCE, "URL");
        var serializer = new ConfluentAvroSerializer<TokenEvent>();
        serializer.configure(config, false);

        serializer.serialize("t", SampleRecords.tokenEvent("x", 1));

        assertThat(server.registrations()).containsExactly("t-value");
    }

    @Test
    void shouldFailOverToNextUrlWhenFirstRegistryIsUnreachable() throws IOException {
        Map<String, Object> config = config();
        config.put(SchemaRegistries.URL, "http://127.0.0.1:" + freePort() + "," + server.url());
        var serde = new ConfluentAvroSerde<>(TokenEvent.class);
        serde.configure(config, false);
        TokenEvent event = SampleRecords.tokenEvent("x", 1);

        byte[] bytes = serde.serializer().serialize("t", event);

        assertThat(serde.deserializer().deserialize("t", bytes)).isEqualTo(event);
        assertThat(server.registrations()).containsExactly("t-value");
    }

    @Test
    void shouldLookUpInsteadOfRegisteringWhenAutoRegisterIsOff() throws IOException {
        SchemaRegistryClient admin = SchemaRegistries.forConfig(config());
        int id = admin.register("t-value", TokenEvent.getClassSchema());
        Map<String, Object> config = config();
        config.put(ConfluentAvroSerializer.AUTO_REGISTER_SCHEMAS, false);
        var serializer = new ConfluentAvroSerializer<TokenEvent>();
        serializer.configure(config, false);

        assertThat(WireFormat.schemaId(serializer.serialize("t", SampleRecords.tokenEvent("x", 1)))).isEqualTo(id);
        assertThatThrownBy(() -> serializer.serialize("other", SampleRecords.tokenEvent("x", 1)))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("not registered under subject 'other-value'");
        assertThat(server.registrations()).containsExactly("t-value");
    }

    @Test
    void shouldReportUnknownSchemaWhenRegistryAnswers40403() {
        var deserializer = new ConfluentAvroDeserializer<>(TokenEvent.class);
        deserializer.configure(config(), false);

        assertThatThrownBy(() -> deserializer.deserialize("t", SampleRecords.frame(77, new byte[] {2, 0x61})))
                .isInstanceOfSatisfying(WireFormatException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_SCHEMA);
                    assertThat(e.schemaId()).isEqualTo(77);
                })
                .hasMessageContaining("40403")
                .hasMessageContaining("Schema 77 not found");
    }

    @Test
    void shouldReportUnknownSchemaWhenIdNamesAProtobufSchema() throws IOException {
        int id = SchemaRegistries.forConfig(config()).register("t-value", TokenEvent.getClassSchema());
        server.serveByIdAs("PROTOBUF", "syntax = \"proto3\";\nmessage TokenEvent { string id = 1; }\n");
        var deserializer = new ConfluentAvroDeserializer<>(TokenEvent.class);
        deserializer.configure(config(), false);

        assertThatThrownBy(() -> deserializer.deserialize("t", SampleRecords.frame(id, new byte[] {2, 0x61})))
                .isInstanceOfSatisfying(WireFormatException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_SCHEMA))
                .hasMessageContaining("PROTOBUF");
    }

    @Test
    void shouldReportRegistryUnavailableWhenRegistryAnswers5xx() {
        server.failWith(503);
        var deserializer = new ConfluentAvroDeserializer<>(TokenEvent.class);
        deserializer.configure(config(), false);
        var serializer = new ConfluentAvroSerializer<TokenEvent>();
        serializer.configure(config(), false);

        assertThatThrownBy(() -> deserializer.deserialize("t", SampleRecords.frame(1, new byte[] {2, 0x61})))
                .isInstanceOfSatisfying(WireFormatException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.REGISTRY_UNAVAILABLE))
                .hasMessageContaining("HTTP 503");
        assertThatThrownBy(() -> serializer.serialize("t", SampleRecords.tokenEvent("x", 1)))
                .isInstanceOfSatisfying(WireFormatException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.REGISTRY_UNAVAILABLE));

        server.failWith(0);
        TokenEvent event = SampleRecords.tokenEvent("x", 1);
        assertThat(deserializer.deserialize("t", serializer.serialize("t", event))).isEqualTo(event);
    }

    @Test
    void shouldReportRegistryUnavailableWhenUrlIsNotARegistry() {
        server.notARegistry(true);
        var deserializer = new ConfluentAvroDeserializer<>(TokenEvent.class);
        deserializer.configure(config(), false);

        assertThatThrownBy(() -> deserializer.deserialize("t", SampleRecords.frame(1, new byte[] {2, 0x61})))
                .isInstanceOfSatisfying(WireFormatException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.REGISTRY_UNAVAILABLE))
                .hasMessageContaining("does schema.registry.url point at a schema registry?");
    }

    @Test
    void shouldRefuseWithoutRetryableReasonWhenCredentialsAreWrong() {
        server.requireBasicAuth("alice", "s3cret");
        Map<String, Object> config = userInfoConfig();
        config.put(SchemaRegistries.BASIC_AUTH_USER_INFO, "alice:wrong");
        var serializer = new ConfluentAvroSerializer<TokenEvent>();
        serializer.configure(config, false);

        assertThatThrownBy(() -> serializer.serialize("t", SampleRecords.tokenEvent("x", 1)))
                .isInstanceOf(SerializationException.class)
                .isNotInstanceOf(WireFormatException.class)
                .hasMessageContaining("HTTP 401")
                .hasMessageContaining("40101");
    }

    @Test
    void shouldReportRegistryUnavailableWhenServerIsStopped() {
        var serializer = new ConfluentAvroSerializer<TokenEvent>();
        serializer.configure(config(), false);
        byte[] bytes = serializer.serialize("t", SampleRecords.tokenEvent("x", 1));
        var deserializer = new ConfluentAvroDeserializer<>(TokenEvent.class);
        deserializer.configure(config(), false);
        server.stop();

        assertThatThrownBy(() -> deserializer.deserialize("t", bytes))
                .isInstanceOfSatisfying(WireFormatException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.REGISTRY_UNAVAILABLE);
                    assertThat(e.isTransient()).isTrue();
                    assertThat(e.schemaId()).isEqualTo(1);
                })
                .hasMessageContaining("unreachable");
        // ids already known need no registry
        assertThat(serializer.serialize("t", SampleRecords.tokenEvent("y", 2))).isNotNull();
    }

    @Test
    void shouldRoundTripEveryRecordTypeWhenRegistryIsHttp() {
        SchemaRegistryClient client = SchemaRegistries.forConfig(config());
        for (SpecificRecord record : SampleRecords.all()) {
            @SuppressWarnings({"unchecked", "rawtypes"})
            ConfluentAvroSerde<SpecificRecord> serde = new ConfluentAvroSerde(record.getClass(), client, false);
            byte[] bytes = serde.serializer().serialize("all", record);
            assertThat(bytes).isEqualTo(SampleRecords.frame(WireFormat.schemaId(bytes), SampleRecords.avroBinary(record)));
            assertThat(serde.deserializer().deserialize("all", bytes)).isEqualTo(record);
        }
        // five distinct schemas, each registered once under the one subject
        assertThat(server.registrations()).hasSize(5).containsOnly("all-value");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
