package io.tokvec.it;

import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.TokenEvent;
import io.tokvec.broker.EmbeddedKafkaBroker;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.kafka.ClusterCheck;
import io.tokvec.kafka.ModelPublisher;
import io.tokvec.kafka.StartupCheckException;
import io.tokvec.kafka.Topics;
import io.tokvec.model.ModelChunker;
import io.tokvec.serde.MockSchemaRegistry;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.app.TokvecApp;
import io.tokvec.config.TokvecConfig;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

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
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * A SASL_PLAINTEXT/PLAIN broker: the application, the publisher and topic creation are configured
 * only through the pass-through keys {@code security.protocol}, {@code sasl.mechanism} and
 * {@code sasl.jaas.config}, and hand them to every client they create (Streams' consumers,
 * producer and admin, the global consumer, the publisher's producer and the consumer that finds
 * versions to remove). A wrong password fails the publish with a clear authentication error.
 */
class SaslIT {

    private static final String SCOPE = "SaslIT";
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String USER = "tokvec";
    private static final String PASSWORD = "tokvec-secret";
    private static final int ROWS = 20;
    private static final int DIM = 4;

    @RegisterExtension
    static final BrokerExtension KAFKA = new BrokerExtension(SCOPE, b -> b.saslPlain(Map.of(USER, PASSWORD)));

    @TempDir
    Path tmp;



    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldPublishAndEnrichWhenEveryClientGetsTheSaslSettingsFromTheConfig() throws Exception {
        Map<String, Object> client = sasl(USER, PASSWORD);
        TokvecConfig config = new TokvecConfig(ItApps.appConfig("sasl", client, "mock://" + SCOPE, tmp.resolve("state")));
        assertThat(config.all()).containsEntry(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT")
                .containsEntry(SaslConfigs.SASL_MECHANISM, "PLAIN");
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(SCOPE);
        Topics.ensureAll(config);

        try (TokvecApp app = ItApps.startApp(config);
             ModelPublisher publisher = new ModelPublisher(config, registry);
             KafkaProducer<String, TokenEvent> producer = ItApps.eventProducer(client, registry);
             TopicReader<EnrichedEvent> output = ItApps.outputReader(client, config, registry)) {
            for (long v = 1; v <= 2; v++) {
                publisher.publish(TestTables.table(v, ROWS, DIM), ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
            }
            EmbeddingTable v3 = TestTables.table(3, ROWS, DIM);
            // the third version makes the publisher read the model topic (its consumer authenticates too) and drop v1
            ModelPublisher.Result r3 = publisher.publish(v3, ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
            assertThat(r3.removedVersions()).containsExactly(1L);
            ItApps.awaitActiveVersion(app, 3);

            Map<String, TokenEvent> sent = new LinkedHashMap<>();
            for (int i = 0; i < 30; i++) {
                TokenEvent e = TestEvents.event(i, ROWS);
                sent.put(e.getId(), e);
                producer.send(new ProducerRecord<>(config.inputTopic(), e.getId(), e));
            }
            producer.flush();
            List<TopicReader.Received<EnrichedEvent>> out = output.awaitCount(sent.size(), WAIT);
            assertThat(out).hasSize(sent.size());
            out.forEach(r -> assertEnriched(r.value(), sent.get(r.value().getId()), v3, ItApps.MAX_LEN));
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldFailThePublishWithAnAuthenticationErrorWhenThePasswordIsWrong() {
        Map<String, Object> wrong = sasl(USER, "not-the-password");
        wrong.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "20000");
        TokvecConfig config = new TokvecConfig(ItApps.appConfig("sasl-wrong", wrong, "mock://" + SCOPE, tmp.resolve("state")));
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(SCOPE);

        Throwable publish;
        try (ModelPublisher publisher = new ModelPublisher(config, registry)) {
            publish = catchThrowable(() -> publisher.publish(TestTables.table(1, ROWS, DIM), ModelChunker.DEFAULT_CHUNK_BYTES,
                    Map.of(), null));
        }
        assertThat(publish).as("publish with a wrong password").isNotNull();
        assertThat(chain(publish)).as("cause chain of %s", publish).anyMatch(t -> t instanceof SaslAuthenticationException);
        assertThat(publish).hasMessageContaining("Authentication failed");

        Throwable topics = catchThrowable(() -> Topics.ensureAll(config));
        assertThat(topics).isInstanceOf(IllegalStateException.class).hasMessageContaining("Authentication failed");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldSayInOneLineWhatFailedWhenTheStartupCheckMeetsAWrongPasswordOrNoSasl() {
        String servers = KAFKA.broker().bootstrapServers();
        // a cluster that answers slowly is waited for as long as an admin call would be: 5 s here, not 60
        Map<String, Object> plaintext = Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, servers,
                "default.api.timeout.ms", "5000", "request.timeout.ms", "5000");

        ClusterCheck.Cluster ok = ClusterCheck.check(sasl(USER, PASSWORD), WAIT, true);
        StartupCheckException wrong = catchThrowableOfType(StartupCheckException.class,
                () -> ClusterCheck.check(sasl(USER, "not-the-password"), WAIT, true));
        StartupCheckException noSasl = catchThrowableOfType(StartupCheckException.class,
                () -> ClusterCheck.check(plaintext, Duration.ofSeconds(5), true));

        assertThat(ok.brokers()).isEqualTo(1);
        assertThat(wrong).hasMessage("SASL authentication with the Kafka cluster at " + servers + " (bootstrap.servers) failed"
                + " (security.protocol=SASL_PLAINTEXT, sasl.mechanism=PLAIN): Authentication failed: Invalid username or password");
        // a plaintext client at a SASL listener: the broker closes the connection on its first request
        assertThat(noSasl).hasMessageStartingWith("the Kafka cluster at " + servers + " (bootstrap.servers) accepts connections"
                + " but did not answer within 5 s (default.api.timeout.ms; security.protocol=PLAINTEXT): does the listener expect"
                + " another security.protocol");
    }

    /** Client settings for {@code user}: bootstrap servers plus the three SASL keys, and nothing else. */
    private static Map<String, Object> sasl(String user, String password) {
        Map<String, Object> m = new HashMap<>();
        m.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, KAFKA.broker().bootstrapServers());
        m.putAll(EmbeddedKafkaBroker.saslClientProperties(user, password));
        return m;
    }

    private static List<Throwable> chain(Throwable t) {
        List<Throwable> out = new ArrayList<>();
        for (Throwable c = t; c != null && !out.contains(c); c = c.getCause()) {
            out.add(c);
        }
        return out;
    }
}
