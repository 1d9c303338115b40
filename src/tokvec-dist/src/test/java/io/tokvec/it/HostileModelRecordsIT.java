package io.tokvec.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokvec.devkit.TestSchemaRegistry;
import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TableActivate;
import io.tokvec.avro.TableChunk;
import io.tokvec.avro.TableCommit;
import io.tokvec.avro.TokenEvent;
import io.tokvec.config.TokvecConfig;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.TableChecksum;
import io.tokvec.kafka.ModelPublisher;
import io.tokvec.kafka.Topics;
import io.tokvec.model.ModelChunker;
import io.tokvec.serde.ConfluentAvroSerializer;
import io.tokvec.serde.SchemaRegistries;
import io.tokvec.serde.SchemaRegistryClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The hostile model records of the issue that once took the application down, written on the model
 * topic mid-stream while {@code tokvec.jar run} serves v1 with a 256 MiB heap: a chunk whose index is
 * near 2^31 (with a well-formed body), a row offset near 2^63, a commit for 4 x 10^12 rows in
 * 2 x 10^9 chunks, a chunk that says dim 10^6, junk values, a key outside {@code <table>/<version>/...},
 * an activate record for a version that does not exist. Every good event is enriched exactly (and
 * none is dead-lettered), the next good version still activates, {@code /tables} lists each rejection
 * with its reason, and the application restarts on the same topic (kept state dir, then a new one
 * that replays the hostile records) and serves v2 to the first event.
 */
class HostileModelRecordsIT {

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final String APP = "hostile";
    private static final int ROWS = 60;
    private static final int DIM = 8;
    private static final int EVENTS = 1500;
    private static final int PER_SECOND = 100;
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final BrokerExtension KAFKA = new BrokerExtension("HostileModelRecordsIT");
    @RegisterExtension
    static final TestSchemaRegistry REGISTRY = new TestSchemaRegistry();

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Map<String, String> settings(Path stateDir) {
        return ItApps.withOpsEndpoint(ItApps.appConfig(APP, KAFKA.broker().clientProperties(), REGISTRY.url(), stateDir));
    }

    @Test
    @Timeout(value = 420, unit = TimeUnit.SECONDS)
    void shouldRejectEveryHostileRecordAndKeepServingAcrossRestartsAt256MiB() throws Exception {
        Map<String, Object> client = KAFKA.broker().clientProperties();
        Path logs = ChildProcessApp.jar().getParent().resolve("it-logs").resolve("HostileModelRecordsIT");
        Path kept = tmp.resolve("state-kept");
        TokvecConfig config = new TokvecConfig(settings(kept));
        Topics.ensureAll(config);
        Path configFile = ChildProcessApp.writeConfig(settings(kept), tmp.resolve("app.properties"));
        Map<Long, EmbeddingTable> tables = Map.of(1L, TestTables.table(1, ROWS, DIM), 2L, TestTables.table(2, ROWS, DIM));

        try (SchemaRegistryClient registry = SchemaRegistries.forConfig(Map.of(SchemaRegistries.URL, REGISTRY.url()));
             ModelPublisher publisher = new ModelPublisher(config, registry);
             KafkaProducer<String, byte[]> raw = rawProducer(client);
             KafkaProducer<String, TokenEvent> producer = ItApps.eventProducer(client, registry);
             TopicReader<EnrichedEvent> output = ItApps.outputReader(client, config, registry);
             TopicReader<DeadLetter> dlq = ItApps.dlqReader(client, config, registry)) {
            ConfluentAvroSerializer<ModelRecord> modelSerializer = new ConfluentAvroSerializer<>(registry, false);
            Map<String, TokenEvent> sent = new LinkedHashMap<>();
            ChildProcessApp app = ChildProcessApp.start(configFile, logs.resolve("first.log"), "256m");
            try {
                int port = app.awaitHttpPort(WAIT);
                publisher.publish(tables.get(1L), ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
                awaitActive(port, 1);

                try (EventFeeder feeder = new EventFeeder(producer, config.inputTopic(), EVENTS, PER_SECOND,
                        i -> TestEvents.event(i, ROWS)).start()) {
                    output.awaitCount(EVENTS / 5, WAIT);
                    Map<String, String> expected = sendHostileRecords(raw, modelSerializer, config.modelTopic());
                    await("every hostile record rejected").atMost(WAIT).untilAsserted(() ->
                            assertThat(rejectedTotal(port)).isGreaterThanOrEqualTo(expected.size()));
                    assertThat(app.isAlive()).as("the application after the hostile records").isTrue();
                    output.awaitCount(EVENTS / 2, WAIT);
                    publisher.publish(tables.get(2L), ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
                    awaitActive(port, 2);
                    feeder.awaitAllAcked(WAIT);
                    sent.putAll(feeder.events());

                    JsonNode t = json(port, "/tables");
                    assertThat(t.get("active_version").asLong()).isEqualTo(2);
                    Map<String, String> listed = new HashMap<>();
                    t.get("last_rejections").forEach(r -> listed.put(r.get("message").asText(), r.get("reason").asText()));
                    expected.forEach((fragment, reason) -> assertThat(listed).as("/tables lists a %s rejection naming %s: %s",
                            reason, fragment, listed).anySatisfy((message, r) -> {
                                assertThat(message).contains(fragment);
                                assertThat(r).isEqualTo(reason);
                            }));
                    assertThat(t.get("versions").toString()).contains("\"version\":1,\"status\":\"committed\"")
                            .contains("\"version\":2,\"status\":\"active\"");
                }
                List<TopicReader.Received<EnrichedEvent>> out = output.awaitCount(EVENTS, WAIT);
                OutputChecks.Summary summary = OutputChecks.assertExactlyOnceAndExact(out, sent, tables);
                System.out.println("HostileModelRecordsIT: outputs per version " + summary.perVersion());
                assertThat(summary.perVersion()).containsKeys(1L, 2L);
                assertThat(app.stop()).as("exit status after SIGTERM").isIn(0, 143);
            } finally {
                app.close();
            }
            assertThat(Files.readString(logs.resolve("first.log"))).doesNotContain("OutOfMemoryError").doesNotContain("Exception in thread");

            // restarts on the same topic: the kept state dir, then a new one that replays every hostile record
            int next = EVENTS;
            for (String restart : List.of("kept", "new")) {
                Path dir = restart.equals("kept") ? kept : tmp.resolve("state-new");
                Path file = ChildProcessApp.writeConfig(settings(dir), tmp.resolve(restart + ".properties"));
                TokenEvent first = TestEvents.event(next++, ROWS);
                producer.send(new ProducerRecord<>(config.inputTopic(), first.getId(), first)).get();
                try (ChildProcessApp again = ChildProcessApp.start(file, logs.resolve("restart-" + restart + ".log"), "256m")) {
                    List<TopicReader.Received<EnrichedEvent>> all = output.awaitUntil(WAIT, "the output of " + first.getId(),
                            rs -> rs.stream().anyMatch(r -> r.value().getId().equals(first.getId())));
                    EnrichedEvent e = all.stream().filter(r -> r.value().getId().equals(first.getId())).findFirst().orElseThrow().value();
                    TestTables.assertEnriched(e, first, tables.get(2L), ItApps.MAX_LEN);
                    int port = again.awaitHttpPort(WAIT);
                    JsonNode t = json(port, "/tables");
                    assertThat(t.get("active_version").asLong()).as("restart with the %s state dir", restart).isEqualTo(2);
                    if (restart.equals("new")) {
                        // the replay met the hostile records again, and refused them again
                        assertThat(t.get("rejected_by_reason").get("BAD_CHUNK").asLong()).isPositive();
                    }
                    assertThat(again.stop()).isIn(0, 143);
                }
            }
            assertThat(dlq.readToEnd(WAIT)).as("dead letters (NO_TABLE after a restart?)").isEmpty();
        }
    }

    /**
     * Writes the hostile records; returns, for each, a fragment of the rejection message it must
     * cause and the reason.
     */
    private static Map<String, String> sendHostileRecords(KafkaProducer<String, byte[]> raw, ConfluentAvroSerializer<ModelRecord> ser,
                                                          String topic) throws Exception {
        String t = TestTables.TABLE;
        Map<String, String> expected = new LinkedHashMap<>();
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
        // the record that killed the global thread: a well-formed chunk with index 2147483646 at row 0
        records.add(new ProducerRecord<>(topic, t + "/50/chunk/2147483646",
                ser.serialize(topic, model(t, 50, chunk(2_147_483_646, 0, 1, DIM)))));
        expected.put("chunk 2147483646 starts at row 0", "BAD_CHUNK");
        // the same index at the row it would need: beyond any table tokvec.table.max.bytes allows
        records.add(new ProducerRecord<>(topic, t + "/51/chunk/2147483646",
                ser.serialize(topic, model(t, 51, chunk(2_147_483_646, 2_147_483_646L, 1, DIM)))));
        expected.put("chunk 2147483646 covers rows [2147483646, 2147483647)", "TOO_LARGE");
        records.add(new ProducerRecord<>(topic, t + "/52/chunk/0",
                ser.serialize(topic, model(t, 52, chunk(0, Long.MAX_VALUE - 7, 1, DIM)))));
        expected.put("chunk 0 covers rows [9223372036854775800,", "TOO_LARGE");
        TableCommit huge = TableCommit.newBuilder().setRows(4_000_000_000_000L).setDim(DIM).setChunks(2_000_000_000)
                .setChecksum(TableChecksum.PREFIX + "ab".repeat(32)).setVocabChecksum(null).setCreatedMs(0).setMetadata(Map.of()).build();
        records.add(new ProducerRecord<>(topic, t + "/53/commit", ser.serialize(topic, model(t, 53, huge))));
        expected.put("v53: 4000000000000 x 8 float32", "TOO_LARGE");
        TableChunk wide = chunk(0, 0, 1, DIM);
        wide.setDim(1_000_000);
        records.add(new ProducerRecord<>(topic, t + "/54/chunk/0", ser.serialize(topic, model(t, 54, wide))));
        expected.put("v54: chunk 0 holds 32 bytes, 1 rows x 1000000 float32 need 4000000", "BAD_CHUNK");
        byte[] junk = new byte[4096];
        new Random(7).nextBytes(junk);
        junk[0] = 0;
        records.add(new ProducerRecord<>(topic, t + "/55/chunk/0", junk));
        expected.put("model record " + t + "/55/chunk/0 does not decode", "UNDECODABLE");
        records.add(new ProducerRecord<>(topic, "not-a-model-key", ser.serialize(topic, model(t, 56, chunk(0, 0, 1, DIM)))));
        expected.put("model key 'not-a-model-key' is not", "BAD_RECORD");
        records.add(new ProducerRecord<>(topic, t + "/activate",
                ser.serialize(topic, model(t, 999, TableActivate.newBuilder().setReason("hostile").build()))));
        expected.put("cannot activate v999", "UNKNOWN_VERSION");
        for (ProducerRecord<String, byte[]> r : records) {
            raw.send(r).get();
        }
        return expected;
    }

    private static ModelRecord model(String table, long version, Object body) {
        return ModelRecord.newBuilder().setTable(table).setVersion(version).setBody(body).build();
    }

    private static TableChunk chunk(int index, long rowOffset, int rows, int dim) {
        return TableChunk.newBuilder().setIndex(index).setRowOffset(rowOffset).setRowCount(rows).setDim(dim)
                .setData(ByteBuffer.wrap(new byte[rows * dim * Float.BYTES])).setTokens(null).build();
    }

    private static KafkaProducer<String, byte[]> rawProducer(Map<String, Object> client) {
        Map<String, Object> p = new HashMap<>(client);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }


    private void awaitActive(int port, long version) {
        await("v" + version + " active").atMost(WAIT).ignoreExceptions().untilAsserted(() ->
                assertThat(json(port, "/tables").get("active_version").asLong()).isEqualTo(version));
    }

    private long rejectedTotal(int port) {
        try {
            return json(port, "/tables").get("rejected_total").asLong();
        } catch (IOException e) {
            return -1;
        }
    }

    private JsonNode json(int port, String path) throws IOException {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("%s: %s", path, r.body()).isEqualTo(200);
            return JSON.readTree(r.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
