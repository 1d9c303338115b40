package io.tokvec.it;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.EnrichedEventFloats;
import io.tokvec.avro.TokenEvent;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.kafka.ModelPublisher;
import io.tokvec.kafka.Topics;
import io.tokvec.model.ModelChunker;
import io.tokvec.serde.ConfluentAvroDeserializer;
import io.tokvec.serde.ConfluentAvroSerializer;
import io.tokvec.serde.MockSchemaRegistry;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.streams.DeadLetterReason;
import io.tokvec.app.TokvecApp;
import io.tokvec.config.TokvecConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.tokvec.it.TestTables.assertEnriched;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Produce, enrich, consume on a real broker with the real Confluent-format serdes: the in-process
 * application (exactly_once_v2) on a {@code mock://} registry, a table published through
 * {@link ModelPublisher}, events with token ids and with token strings, outputs read with
 * read_committed and compared value by value with the table rows; bad records reach the
 * dead-letter topic with their original bytes, position and reason.
 */
class EndToEndIT {

    private static final String SCOPE = "EndToEndIT";
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int ROWS = 40;
    private static final int DIM = 4;

    @RegisterExtension
    static final BrokerExtension KAFKA = new BrokerExtension(SCOPE);

    @TempDir
    Path tmp;



    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldEnrichIdAndStringEventsExactlyAndDeadLetterBadRecordsWithTheirOriginalBytes() throws Exception {
        Map<String, Object> client = KAFKA.broker().clientProperties();
        TokvecConfig config = new TokvecConfig(ItApps.appConfig("e2e", client, "mock://" + SCOPE, tmp.resolve("state")));
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(SCOPE);
        EmbeddingTable v1 = TestTables.table(1, ROWS, DIM);

        Topics.ensureAll(config);
        try (TokvecApp app = ItApps.startApp(config);
             ModelPublisher publisher = new ModelPublisher(config, registry);
             KafkaProducer<String, TokenEvent> events = ItApps.eventProducer(client, registry);
             KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(client, new ByteArraySerializer(), new ByteArraySerializer());
             TopicReader<EnrichedEvent> output = ItApps.outputReader(client, config, registry);
             TopicReader<DeadLetter> dlq = ItApps.dlqReader(client, config, registry)) {

            // before any table: the event is dead-lettered as NO_TABLE, neither dropped nor blocking
            TokenEvent early = TokenEvent.newBuilder().setId("early").setTokenIds(List.of(2, 3)).build();
            RecordMetadata earlyAt = events.send(new ProducerRecord<>(config.inputTopic(), "early", early)).get();
            List<TopicReader.Received<DeadLetter>> dead = dlq.awaitCount(1, WAIT);
            assertThat(dead.get(0).value().getReason()).isEqualTo(DeadLetterReason.NO_TABLE.name());
            assertThat(dead.get(0).value().getEventId()).isEqualTo("early");
            assertThat(dead.get(0).value().getOffset()).isEqualTo(earlyAt.offset());

            ModelPublisher.Result published = publisher.publish(v1, ModelChunker.DEFAULT_CHUNK_BYTES, Map.of("source", "it"), null);
            assertThat(published.version()).isEqualTo(1);
            ItApps.awaitActiveVersion(app, 1);

            Map<String, TokenEvent> sent = new LinkedHashMap<>();
            sent.put("ids-short", TokenEvent.newBuilder().setId("ids-short").setTokenIds(List.of(5, 0, 7))
                    .setTimestampMs(42L).setMetadata(Map.of("source", "it")).build());
            sent.put("ids-long", TokenEvent.newBuilder().setId("ids-long")
                    .setTokenIds(List.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)).build());
            sent.put("ids-exact", TokenEvent.newBuilder().setId("ids-exact").setTokenIds(List.of(39, 38, 37, 36, 35, 34, 33, 32)).build());
            sent.put("empty", TokenEvent.newBuilder().setId("empty").setTokenIds(List.of()).build());
            sent.put("words", TokenEvent.newBuilder().setId("words")
                    .setTokens(List.of("w2", TestTables.UNKNOWN_WORD, "", "w39", "w10")).build());
            for (int i = 0; i < 20; i++) {
                TokenEvent e = TestEvents.event(i, ROWS);
                sent.put(e.getId(), e);
            }
            for (TokenEvent e : sent.values()) {
                events.send(new ProducerRecord<>(config.inputTopic(), e.getId(), e));
            }
            events.flush();

            // bad records: out-of-range id, not the wire format, unknown schema id, null value
            TokenEvent outOfRange = TokenEvent.newBuilder().setId("bad-id").setTokenIds(List.of(3, ROWS)).build();
            RecordMetadata outOfRangeAt = events.send(new ProducerRecord<>(config.inputTopic(), "bad-id", outOfRange)).get();
            byte[] outOfRangeBytes = new ConfluentAvroSerializer<TokenEvent>(registry, false).serialize(config.inputTopic(), outOfRange);
            byte[] json = "{\"id\":\"json\",\"token_ids\":[1]}".getBytes(StandardCharsets.UTF_8);
            byte[] unknownSchema = ByteBuffer.allocate(7).put((byte) 0).putInt(987_654).put((byte) 2).put((byte) 0).array();
            Map<String, byte[]> badValues = new LinkedHashMap<>();
            badValues.put("json", json);
            badValues.put("unknown-schema", unknownSchema);
            badValues.put("null", null);
            Map<String, RecordMetadata> badAt = new HashMap<>();
            for (var b : badValues.entrySet()) {
                badAt.put(b.getKey(), raw.send(new ProducerRecord<>(config.inputTopic(),
                        b.getKey().getBytes(StandardCharsets.UTF_8), b.getValue())).get());
            }

            List<TopicReader.Received<EnrichedEvent>> out = output.awaitCount(sent.size(), WAIT);
            assertThat(out).hasSize(sent.size());
            for (TopicReader.Received<EnrichedEvent> r : out) {
                TokenEvent in = sent.get(r.value().getId());
                assertThat(in).as("output %s was sent", r.value().getId()).isNotNull();
                assertEnriched(r.value(), in, v1, ItApps.MAX_LEN);
                assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(in.getId());
                // Confluent wire format: magic byte 0, then a 4-byte schema id
                assertThat(r.raw()[0]).isZero();
            }
            assertThat(out).extracting(r -> r.value().getId()).containsExactlyInAnyOrderElementsOf(sent.keySet());
            // spot checks against hand-computed values (pre padding, pre truncating, mask ids != 0)
            EnrichedEvent shortOne = byId(out, "ids-short");
            assertThat(shortOne.getIds()).containsExactly(0, 0, 0, 0, 0, 5, 0, 7);
            assertThat(shortOne.getMask()).containsExactly(false, false, false, false, false, true, false, true);
            assertThat(shortOne.getLength()).isEqualTo(3);
            assertThat(TestTables.bytes(shortOne.getEmbeddings())).hasSize(ItApps.MAX_LEN * DIM * Float.BYTES)
                    .startsWith(rowBytes(v1, 0)).endsWith(rowBytes(v1, 7));
            EnrichedEvent longOne = byId(out, "ids-long");
            assertThat(longOne.getIds()).containsExactly(5, 6, 7, 8, 9, 10, 11, 12);
            assertThat(longOne.getTruncated()).isTrue();
            assertThat(byId(out, "words").getIds()).containsExactly(0, 0, 0, 2, 1, 0, 39, 10);
            assertThat(byId(out, "empty").getMask()).containsOnly(false);

            List<TopicReader.Received<DeadLetter>> letters = dlq.awaitCount(1 + 1 + badValues.size(), WAIT);
            assertThat(letters).hasSize(1 + 1 + badValues.size());
            Map<String, DeadLetter> byKey = new HashMap<>();
            for (TopicReader.Received<DeadLetter> r : letters.subList(1, letters.size())) {
                byKey.put(new String(r.key(), StandardCharsets.UTF_8), r.value());
            }
            assertDeadLetter(byKey.get("bad-id"), config, DeadLetterReason.ID_OUT_OF_RANGE, outOfRangeAt, outOfRangeBytes);
            assertThat(byKey.get("bad-id").getEventId()).isEqualTo("bad-id");
            assertThat(byKey.get("bad-id").getTableVersion()).isEqualTo(1L);
            assertThat(byKey.get("bad-id").getMessage()).contains(Integer.toString(ROWS));
            assertDeadLetter(byKey.get("json"), config, DeadLetterReason.BAD_MAGIC, badAt.get("json"), json);
            assertDeadLetter(byKey.get("unknown-schema"), config, DeadLetterReason.UNKNOWN_SCHEMA, badAt.get("unknown-schema"),
                    unknownSchema);
            assertDeadLetter(byKey.get("null"), config, DeadLetterReason.NULL_VALUE, badAt.get("null"), null);

            assertThat(app.metrics().enrichedCount()).isEqualTo(sent.size());
            assertThat(app.metrics().deadLetterCount()).isEqualTo(letters.size());
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldDeadLetterOutputsOverTheProducersRequestSizeAndGoOnUnderExactlyOnce() throws Exception {
        Map<String, Object> client = KAFKA.broker().clientProperties();
        Map<String, String> settings = ItApps.appConfig("e2e-too-large", client, "mock://" + SCOPE, tmp.resolve("state"));
        // 64 x 4 float32 = 1 KiB of embeddings alone: over this producer limit, far under it for a dead letter
        settings.put(TokvecConfig.MAX_LEN, "64");
        settings.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), "900");
        TokvecConfig config = new TokvecConfig(settings);
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(SCOPE);
        Topics.ensureAll(config);

        try (TokvecApp app = ItApps.startApp(config);
             ModelPublisher publisher = new ModelPublisher(config, registry);
             KafkaProducer<String, TokenEvent> events = ItApps.eventProducer(client, registry);
             TopicReader<DeadLetter> dlq = ItApps.dlqReader(client, config, registry)) {
            publisher.publish(TestTables.table(1, ROWS, DIM), ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
            ItApps.awaitActiveVersion(app, 1);
            TokenEvent first = TokenEvent.newBuilder().setId("big-1").setTokenIds(List.of(3, 4)).build();
            TokenEvent second = TokenEvent.newBuilder().setId("big-2").setTokenIds(List.of(5)).build();
            RecordMetadata firstAt = events.send(new ProducerRecord<>(config.inputTopic(), first.getId(), first)).get();
            RecordMetadata secondAt = events.send(new ProducerRecord<>(config.inputTopic(), second.getId(), second)).get();
            ConfluentAvroSerializer<TokenEvent> serializer = new ConfluentAvroSerializer<>(registry, false);
            byte[] firstBytes = serializer.serialize(config.inputTopic(), first);
            byte[] secondBytes = serializer.serialize(config.inputTopic(), second);

            // both are dead-lettered in order: the application went on after the first refusal
            List<TopicReader.Received<DeadLetter>> letters = dlq.awaitCount(2, WAIT);
            assertDeadLetter(letters.get(0).value(), config, DeadLetterReason.OUTPUT_TOO_LARGE, firstAt, firstBytes);
            assertThat(letters.get(0).value().getMessage()).contains("max.request.size=900", "max_len 64 x dim 4");
            assertDeadLetter(letters.get(1).value(), config, DeadLetterReason.OUTPUT_TOO_LARGE, secondAt, secondBytes);
            assertThat(app.streams().state()).isEqualTo(org.apache.kafka.streams.KafkaStreams.State.RUNNING);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldWriteFloatArraysWhenOutputEncodingIsFloats() throws Exception {
        Map<String, Object> client = KAFKA.broker().clientProperties();
        Map<String, String> settings = ItApps.appConfig("e2e-floats", client, "mock://" + SCOPE, tmp.resolve("state"));
        settings.put(TokvecConfig.OUTPUT_ENCODING, "floats");
        TokvecConfig config = new TokvecConfig(settings);
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(SCOPE);
        EmbeddingTable v1 = TestTables.table(1, ROWS, DIM);
        Topics.ensureAll(config);

        try (TokvecApp app = ItApps.startApp(config);
             ModelPublisher publisher = new ModelPublisher(config, registry);
             KafkaProducer<String, TokenEvent> events = ItApps.eventProducer(client, registry);
             TopicReader<EnrichedEventFloats> output = new TopicReader<>(client, config.outputTopic(),
                     new ConfluentAvroDeserializer<>(EnrichedEventFloats.class, registry, false))) {
            publisher.publish(v1, ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
            ItApps.awaitActiveVersion(app, 1);
            TokenEvent e = TokenEvent.newBuilder().setId("floats").setTokens(List.of("w3", TestTables.UNKNOWN_WORD, "w4")).build();
            events.send(new ProducerRecord<>(config.inputTopic(), e.getId(), e)).get();

            EnrichedEventFloats out = output.awaitCount(1, WAIT).get(0).value();
            int[] padded = {0, 0, 0, 0, 0, 3, 1, 4};
            assertThat(out.getIds()).containsExactly(0, 0, 0, 0, 0, 3, 1, 4);
            assertThat(out.getTableVersion()).isEqualTo(1);
            ByteBuffer expected = ByteBuffer.wrap(TestTables.gather(padded, v1)).order(ByteOrder.LITTLE_ENDIAN);
            List<Float> floats = new ArrayList<>();
            while (expected.hasRemaining()) floats.add(expected.getFloat());
            assertThat(out.getEmbeddings()).isEqualTo(floats);
        }
    }

    private static void assertDeadLetter(DeadLetter d, TokvecConfig config, DeadLetterReason reason, RecordMetadata at,
                                         byte[] original) {
        assertThat(d).as("dead letter for %s", reason).isNotNull();
        assertThat(d.getReason()).isEqualTo(reason.name());
        assertThat(d.getTopic()).isEqualTo(config.inputTopic());
        assertThat(d.getPartition()).isEqualTo(at.partition());
        assertThat(d.getOffset()).isEqualTo(at.offset());
        assertThat(d.getTimestampMs()).isEqualTo(at.timestamp());
        if (original == null) {
            assertThat(d.getValue()).isNull();
        } else {
            assertThat(TestTables.bytes(d.getValue())).isEqualTo(original);
        }
    }

    private static EnrichedEvent byId(List<TopicReader.Received<EnrichedEvent>> out, String id) {
        List<EnrichedEvent> found = new ArrayList<>();
        out.forEach(r -> {
            if (r.value().getId().equals(id)) found.add(r.value());
        });
        assertThat(found).as("outputs of %s", id).hasSize(1);
        return found.get(0);
    }

    private static byte[] rowBytes(EmbeddingTable t, int row) {
        return TestTables.gather(new int[] {row}, t);
    }
}
