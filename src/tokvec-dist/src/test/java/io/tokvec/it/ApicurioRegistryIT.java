package io.tokvec.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.TokenEvent;
import io.tokvec.config.TokvecConfig;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.kafka.ModelPublisher;
import io.tokvec.kafka.Topics;
import io.tokvec.model.ModelChunker;
import io.tokvec.model.SigningKeys;
import io.tokvec.model.TableRejectedException;
import io.tokvec.serde.ConfluentAvroDeserializer;
import io.tokvec.serde.ConfluentAvroSerializer;
import io.tokvec.serde.HttpSchemaRegistryClient;
import io.tokvec.serde.SchemaRegistries;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.serde.UnknownSchemaException;
import io.tokvec.app.TokvecApp;
import io.tokvec.tables.NpyWriter;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * tokvec's own HTTP registry client and serdes against a real third-party registry: Apicurio Registry
 * 3.3.3 (from Maven Central) through its Confluent-compatible API. Registration, lookup and fetch by
 * id; the Confluent wire-format bytes; and the application end to end with {@code schema.registry.url}
 * pointing at it. Skipped (with the reason) when no Java 21+ is found, which Apicurio needs.
 */
class ApicurioRegistryIT {

    private static final String SCOPE = "ApicurioRegistryIT";
    private static final int ROWS = 20;
    private static final int DIM = 4;
    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    static final BrokerExtension KAFKA = new BrokerExtension(SCOPE);

    @TempDir
    static Path tmp;

    private static ApicurioRegistry apicurio;

    @BeforeAll
    static void startApicurio() throws Exception {
        Optional<Path> java = ApicurioRegistry.findJava21();
        assumeTrue(java.isPresent(), "Apicurio Registry 3 needs Java 21+: none found (set -Dtokvec.java21.home or JAVA21_HOME, "
                + "or install one under /usr/lib/jvm); skipping the Apicurio tests");
        apicurio = ApicurioRegistry.start(java.get(), tmp);
    }

    @AfterAll
    static void stopApicurio() throws Exception {
        if (apicurio != null) apicurio.close();
    }

    private static HttpSchemaRegistryClient client() {
        return new HttpSchemaRegistryClient(List.of(URI.create(apicurio.confluentApi())), null, Duration.ofSeconds(10), null);
    }

    private static TokenEvent event() {
        return TokenEvent.newBuilder().setId("apicurio-1").setTokenIds(List.of(3, 1, 4)).setTokens(null)
                .setTimestampMs(1_700_000_000_000L).setMetadata(Map.of("k", "v")).build();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldRegisterLookUpAndFetchTheSchemaWhenTheRegistryIsApicurio() throws Exception {
        HttpSchemaRegistryClient writer = client();
        int id = writer.register("apicurio-events-value", TokenEvent.SCHEMA$);
        assertThat(id).isPositive();
        assertThat(writer.register("apicurio-events-value", TokenEvent.SCHEMA$)).as("registering again").isEqualTo(id);

        HttpSchemaRegistryClient reader = client(); // nothing cached
        assertThat(reader.getId("apicurio-events-value", TokenEvent.SCHEMA$)).isEqualTo(id);
        assertThat(reader.getById(id)).isEqualTo(TokenEvent.SCHEMA$);
        Throwable unknown = catchThrowable(() -> reader.getId("apicurio-events-value", EnrichedEvent.SCHEMA$));
        assertThat(unknown).isInstanceOf(UnknownSchemaException.class);
        assertThat(catchThrowable(() -> reader.getById(987_654))).isInstanceOf(UnknownSchemaException.class);

        // what Apicurio itself stores under that id
        HttpResponse<String> raw = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(apicurio.confluentApi() + "/schemas/ids/" + id)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(raw.statusCode()).isEqualTo(200);
        assertThat(new Schema.Parser().parse(new ObjectMapper().readTree(raw.body()).get("schema").asText()))
                .isEqualTo(TokenEvent.SCHEMA$);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldWriteConfluentWireFormatAndReadItBackWhenTheRegistryIsApicurio() throws Exception {
        TokenEvent e = event();
        byte[] bytes = new ConfluentAvroSerializer<TokenEvent>(client(), false).serialize("apicurio-wire", e);

        int id = client().getId("apicurio-wire-value", TokenEvent.SCHEMA$);
        assertThat(bytes[0]).as("magic byte").isZero();
        assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).as("schema id, big-endian").isEqualTo(id);
        ByteArrayOutputStream avro = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(avro, null);
        new SpecificDatumWriter<>(TokenEvent.SCHEMA$).write(e, enc);
        enc.flush();
        assertThat(Arrays.copyOfRange(bytes, 5, bytes.length)).as("Avro binary body").isEqualTo(avro.toByteArray());

        TokenEvent back = new ConfluentAvroDeserializer<>(TokenEvent.class, client(), false).deserialize("apicurio-wire", bytes);
        assertThat(back).isEqualTo(e);
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldEnrichEndToEndWhenSchemaRegistryUrlPointsAtApicurio() throws Exception {
        Map<String, Object> clientProps = KAFKA.broker().clientProperties();
        TokvecConfig config = new TokvecConfig(ItApps.appConfig("apicurio", clientProps, apicurio.confluentApi(),
                tmp.resolve("state")));
        SchemaRegistryClient registry = SchemaRegistries.forConfig(config.clientProps());
        assertThat(registry).isInstanceOf(HttpSchemaRegistryClient.class);
        EmbeddingTable v1 = TestTables.table(1, ROWS, DIM);
        Topics.ensureAll(config);
        try (TokvecApp app = ItApps.startApp(config);
             ModelPublisher publisher = new ModelPublisher(config, registry);
             KafkaProducer<String, TokenEvent> events = ItApps.eventProducer(clientProps, registry);
             TopicReader<EnrichedEvent> output = ItApps.outputReader(clientProps, config, client())) {
            publisher.publish(v1, ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
            ItApps.awaitActiveVersion(app, 1);
            ItApps.sendAndAssertEnriched(events, output, config, 15, v1);
        }
        // the application registered the output schema in Apicurio under TopicNameStrategy
        assertThat(client().getId(config.outputTopic() + "-value", EnrichedEvent.SCHEMA$)).isPositive();
    }

    /**
     * Two processes that share nothing but the broker and the registry: the production jar makes a key
     * ({@code publish --gen-key}) and publishes with {@code --sign-key}; the application trusts only that key.
     */
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void shouldServeOnlyTheVersionThatTheProductionJarSignedWhenTheAppTrustsItsKey() throws Exception {
        Path key = tmp.resolve("trainer.key");
        ProductionJar.Result gen = ProductionJar.run(tmp.resolve("gen-key.log"), "publish", "--gen-key", key.toString());
        assertThat(gen.exit()).as(gen.output()).isZero();
        Path pub = tmp.resolve("trainer.key.pub");
        String keyId = SigningKeys.keyId(SigningKeys.readPublicKeys(pub).get(0));
        assertThat(gen.output()).contains("Ed25519 key " + keyId);
        assertThat(Files.getPosixFilePermissions(key)).containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ,
                PosixFilePermission.OWNER_WRITE);

        Map<String, Object> clientProps = KAFKA.broker().clientProperties();
        Map<String, String> props = ItApps.appConfig("apicurio-signed", clientProps, apicurio.confluentApi(), tmp.resolve("state-s"));
        Path cliConfig = tmp.resolve("publish.properties");
        Properties cli = new Properties();
        cli.putAll(props);
        try (OutputStream out = Files.newOutputStream(cliConfig)) {
            cli.store(out, "ApicurioRegistryIT publish");
        }
        props.put(TokvecConfig.TABLE_TRUSTED_KEYS, pub.toString());
        TokvecConfig config = new TokvecConfig(props);
        Topics.ensureAll(config);
        EmbeddingTable v1 = TestTables.table(1, ROWS, DIM);
        EmbeddingTable v2 = TestTables.table(2, ROWS, DIM);
        SchemaRegistryClient registry = client();
        try (TokvecApp app = ItApps.startApp(config);
             KafkaProducer<String, TokenEvent> events = ItApps.eventProducer(clientProps, registry);
             TopicReader<EnrichedEvent> output = ItApps.outputReader(clientProps, config, registry)) {
            ProductionJar.Result unsigned = ProductionJar.run(tmp.resolve("publish-1.log"), publishArgs(cliConfig, v1));
            assertThat(unsigned.exit()).as(unsigned.output()).isZero();
            await("the unsigned v1 rejected").atMost(WAIT).until(() -> app.registry().rejectedCount(TableRejectedException.Reason.UNSIGNED) == 1);
            assertThat(app.registry().activeVersion()).isEqualTo(-1);

            List<String> signedArgs = new ArrayList<>(List.of(publishArgs(cliConfig, v2)));
            signedArgs.addAll(List.of("--sign-key", key.toString()));
            ProductionJar.Result signed = ProductionJar.run(tmp.resolve("publish-2.log"), signedArgs.toArray(String[]::new));
            assertThat(signed.exit()).as(signed.output()).isZero();
            assertThat(signed.output()).contains("signed with key " + keyId);
            ItApps.awaitActiveVersion(app, 2);
            ItApps.sendAndAssertEnriched(events, output, config, 10, v2);
            assertThat(app.registry().rejectedCount()).isEqualTo(1);
        }
    }

    /** {@code publish} arguments for a table written as .npy plus its vocabulary file. */
    private static String[] publishArgs(Path config, EmbeddingTable t) throws Exception {
        Path npy = tmp.resolve("v" + t.version() + ".npy");
        NpyWriter.write(npy, t.rows(), t.dim(), t.data());
        Path vocab = tmp.resolve("v" + t.version() + ".vocab");
        Files.writeString(vocab, String.join("\n", t.vocabulary().tokens()) + "\n");
        return new String[] {"publish", "--config", config.toString(), "--version", Long.toString(t.version()),
            "--file", npy.toString(), "--format", "npy", "--vocab", vocab.toString()};
    }
}
