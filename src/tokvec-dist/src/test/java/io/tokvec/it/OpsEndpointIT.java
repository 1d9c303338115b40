package io.tokvec.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.TokenEvent;
import io.tokvec.config.TokvecConfig;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.kafka.ModelPublisher;
import io.tokvec.kafka.Topics;
import io.tokvec.model.CommitSigner;
import io.tokvec.model.ModelChunker;
import io.tokvec.model.SigningKeys;
import io.tokvec.model.TableRejectedException;
import io.tokvec.serde.MockSchemaRegistry;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.app.TokvecApp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * The operations endpoint of a running application on the embedded broker, scraped with a real
 * HTTP client: readiness follows the state and the active table, {@code /metrics} parses as
 * Prometheus text and its counters equal what happened (events sent, versions rejected), and
 * {@code /tables} lists versions and the last rejection with its reason.
 */
class OpsEndpointIT {

    private static final String SCOPE = "OpsEndpointIT";
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int ROWS = 30;
    private static final int DIM = 4;
    private static final int EVENTS = 25;
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final BrokerExtension KAFKA = new BrokerExtension(SCOPE);

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode json(int port, String path, int status) throws IOException, InterruptedException {
        HttpResponse<String> r = get(port, path);
        assertThat(r.statusCode()).as("%s: %s", path, r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        return JSON.readTree(r.body());
    }

    private PrometheusText scrape(int port) throws IOException, InterruptedException {
        HttpResponse<String> r = get(port, "/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain; version=0.0.4"));
        return PrometheusText.parse(r.body());
    }

    /** The values of one tokvec metric (one sample per thread that registered it; all read the same numbers). */
    private static List<Double> values(PrometheusText metrics, String name, Map<String, String> labels) {
        return metrics.find(name, labels).stream().map(PrometheusText.Sample::value).toList();
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldReportHealthMetricsAndTablesThatMatchWhatHappenedWhenScrapedOverHttp() throws Exception {
        KeyPair key = SigningKeys.generate();
        Path trusted = tmp.resolve("trusted.pem");
        Files.writeString(trusted, SigningKeys.pem(key.getPublic()));
        Map<String, Object> client = KAFKA.broker().clientProperties();
        Map<String, String> props = ItApps.appConfig("ops", client, "mock://" + SCOPE, tmp.resolve("state"));
        props.put(TokvecConfig.HTTP_PORT, "0");
        props.put(TokvecConfig.HTTP_BIND, "127.0.0.1");
        props.put(TokvecConfig.TABLE_TRUSTED_KEYS, trusted.toString());
        TokvecConfig config = new TokvecConfig(props);
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(SCOPE);
        Topics.ensureAll(config);
        EmbeddingTable v1 = TestTables.table(1, ROWS, DIM);
        int port;

        try (TokvecApp app = ItApps.startApp(config);
             ModelPublisher signed = new ModelPublisher(config, registry).signWith(new CommitSigner(key.getPrivate(), key.getPublic()));
             ModelPublisher unsigned = new ModelPublisher(config, registry);
             KafkaProducer<String, TokenEvent> events = ItApps.eventProducer(client, registry);
             TopicReader<EnrichedEvent> output = ItApps.outputReader(client, config, registry)) {
            port = app.httpPort();
            assertThat(port).isPositive();

            // RUNNING, but no table yet: alive, not ready, and the reason says why
            assertThat(json(port, "/health/live", 200).get("status").asText()).isEqualTo("UP");
            JsonNode notReady = json(port, "/health/ready", 503);
            assertThat(notReady.get("status").asText()).isEqualTo("DOWN");
            assertThat(notReady.get("state").asText()).isEqualTo("RUNNING");
            assertThat(notReady.get("active_version").asLong()).isEqualTo(-1);
            assertThat(notReady.get("reason").asText()).contains("no version of table 'emb' is active");

            signed.publish(v1, ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
            ItApps.awaitActiveVersion(app, 1);
            JsonNode ready = json(port, "/health/ready", 200);
            assertThat(ready.get("status").asText()).isEqualTo("UP");
            assertThat(ready.get("active_version").asLong()).isEqualTo(1);
            assertThat(ready.has("reason")).isFalse();

            for (int i = 0; i < EVENTS; i++) {
                TokenEvent e = TestEvents.event(i, ROWS);
                events.send(new ProducerRecord<>(config.inputTopic(), e.getId(), e));
            }
            events.flush();
            assertThat(output.awaitCount(EVENTS, WAIT)).hasSize(EVENTS);

            // a version without a signature: rejected, counted, the active one stays
            unsigned.publish(TestTables.table(2, ROWS, DIM), ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
            await("the unsigned v2 rejected").atMost(WAIT)
                    .until(() -> app.registry().rejectedCount(TableRejectedException.Reason.UNSIGNED) == 1);

            PrometheusText metrics = scrape(port);
            Map<String, String> tokvec = Map.of("application_id", "ops", "table", TestTables.TABLE);
            // Kafka reports tokvec's counters as gauges read at scrape time; Micrometer drops the _total
            // suffix that Prometheus reserves for counters (operations.md, "Operations endpoint")
            assertThat(metrics.type("kafka_tokvec_events_enriched")).hasValue("gauge");
            assertThat(values(metrics, "kafka_tokvec_events_enriched", tokvec)).isNotEmpty()
                    .allSatisfy(v -> assertThat(v).isEqualTo((double) EVENTS));
            assertThat(values(metrics, "kafka_tokvec_active_table_version", tokvec)).isNotEmpty()
                    .allSatisfy(v -> assertThat(v).isEqualTo(1.0));
            assertThat(values(metrics, "kafka_tokvec_table_swaps", tokvec)).isNotEmpty()
                    .allSatisfy(v -> assertThat(v).isEqualTo(1.0));
            assertThat(values(metrics, "kafka_tokvec_table_versions_rejected", Map.of("reason", "unsigned")))
                    .isNotEmpty().allSatisfy(v -> assertThat(v).isEqualTo(1.0));
            assertThat(values(metrics, "kafka_tokvec_table_versions_rejected", Map.of("reason", "bad_signature")))
                    .isNotEmpty().allSatisfy(v -> assertThat(v).isEqualTo(0.0));
            assertThat(values(metrics, "kafka_tokvec_dead_letters", Map.of("reason", "no_table")))
                    .isNotEmpty().allSatisfy(v -> assertThat(v).isEqualTo(0.0));
            // Kafka Streams' own metrics and the JVM's are there too
            assertThat(metrics.samples()).anyMatch(s -> s.name().startsWith("kafka_stream_thread_") && s.labels().containsKey("thread_id"));
            assertThat(metrics.find("jvm_memory_used_bytes", Map.of("area", "heap")).stream()
                    .mapToDouble(PrometheusText.Sample::value).sum()).as("heap in use, over all pools").isPositive();

            JsonNode tables = json(port, "/tables", 200);
            assertThat(tables.get("table").asText()).isEqualTo(TestTables.TABLE);
            assertThat(tables.get("active_version").asLong()).isEqualTo(1);
            assertThat(tables.get("rows").asInt()).isEqualTo(ROWS);
            assertThat(tables.get("dim").asInt()).isEqualTo(DIM);
            // v2's chunk is staged, its commit was refused: not committed, and the status says why (a valid
            // commit of v2 would still be accepted)
            assertThat(tables.get("versions").toString())
                    .isEqualTo("[{\"version\":1,\"status\":\"active\"},{\"version\":2,\"status\":\"rejected:UNSIGNED\"}]");
            assertThat(tables.get("rejected_by_reason").get("UNSIGNED").asLong()).isEqualTo(1);
            JsonNode last = tables.get("last_rejections");
            assertThat(last).hasSize(1);
            assertThat(last.get(0).get("version").asLong()).isEqualTo(2);
            assertThat(last.get(0).get("reason").asText()).isEqualTo("UNSIGNED");
            assertThat(last.get(0).get("message").asText()).contains("v2 is not signed");

            assertThat(json(port, "/nothing-here", 404).get("paths")).hasSize(4);
            HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/tables"))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);
        }
        // closed with the application
        int closedPort = port;
        assertThat(catchThrowable(() -> get(closedPort, "/health/live"))).isInstanceOf(ConnectException.class);
    }
}
