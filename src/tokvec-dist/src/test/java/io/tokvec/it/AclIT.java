package io.tokvec.it;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.TokenEvent;
import io.tokvec.config.TokvecConfig;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.kafka.ModelPublisher;
import io.tokvec.kafka.Topics;
import io.tokvec.model.ModelChunker;
import io.tokvec.serde.MockSchemaRegistry;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.app.TokvecApp;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * A SASL/PLAIN broker with KRaft's StandardAuthorizer and no access without an ACL. An admin (super
 * user) creates the topics and exactly the ACLs operations.md lists; then tokvec's principal, holding only
 * those, enriches events end to end under exactly_once_v2 (dead letters included), a trainer with write
 * access to the model topic publishes, and a principal that may only read the model topic cannot
 * publish: neither through {@link ModelPublisher} nor with {@code publish} of the production jar.
 */
class AclIT {

    private static final String SCOPE = "AclIT";
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String ADMIN = "admin";
    private static final String TOKVEC = "tokvec";
    private static final String TRAINER = "trainer";
    private static final String INTRUDER = "intruder";
    private static final String APP_ID = "acl";
    private static final int ROWS = 20;
    private static final int DIM = 4;

    @RegisterExtension
    static final BrokerExtension KAFKA = new BrokerExtension(SCOPE, b -> b
            .saslPlain(Map.of(ADMIN, "admin-secret", TOKVEC, "tokvec-secret", TRAINER, "trainer-secret",
                    INTRUDER, "intruder-secret"))
            .authorizer(ADMIN));

    @TempDir
    static Path tmp;

    private static Map<String, Object> client(String user) {
        return new HashMap<>(KAFKA.broker().clientProperties(user));
    }

    private static TokvecConfig config(String user) {
        return new TokvecConfig(ItApps.appConfig(APP_ID, client(user), "mock://" + SCOPE, tmp.resolve("state-" + user)));
    }

    static AclBinding allow(String user, ResourceType type, String name, PatternType pattern, AclOperation op) {
        return new AclBinding(new ResourcePattern(type, name, pattern),
                new AccessControlEntry("User:" + user, "*", op, AclPermissionType.ALLOW));
    }

    /** The ACLs the "ACLs" section of operations.md lists, for the application and for a trainer that publishes. */
    static List<AclBinding> documentedAcls(TokvecConfig c, String app, String trainer) {
        return documentedAcls(c, APP_ID, app, trainer);
    }

    /** As {@link #documentedAcls(TokvecConfig, String, String)}, for the application id {@code appId}. */
    static List<AclBinding> documentedAcls(TokvecConfig c, String appId, String app, String trainer) {
        List<AclBinding> acls = new ArrayList<>();
        acls.add(allow(app, ResourceType.TOPIC, c.inputTopic(), PatternType.LITERAL, AclOperation.READ));
        acls.add(allow(app, ResourceType.TOPIC, c.modelTopic(), PatternType.LITERAL, AclOperation.READ));
        acls.add(allow(app, ResourceType.TOPIC, c.outputTopic(), PatternType.LITERAL, AclOperation.WRITE));
        acls.add(allow(app, ResourceType.TOPIC, c.dlqTopic(), PatternType.LITERAL, AclOperation.WRITE));
        acls.add(allow(app, ResourceType.GROUP, appId, PatternType.LITERAL, AclOperation.READ));
        acls.add(allow(app, ResourceType.TRANSACTIONAL_ID, appId, PatternType.PREFIXED, AclOperation.WRITE));
        // the changelog of the per-partition version store (A-tokvec-partition-versions-changelog),
        // which Kafka Streams creates, validates, reads on restore and writes
        for (AclOperation op : List.of(AclOperation.CREATE, AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE_CONFIGS)) {
            acls.add(allow(app, ResourceType.TOPIC, appId + "-", PatternType.PREFIXED, op));
        }
        acls.add(allow(trainer, ResourceType.TOPIC, c.modelTopic(), PatternType.LITERAL, AclOperation.WRITE));
        acls.add(allow(trainer, ResourceType.TOPIC, c.modelTopic(), PatternType.LITERAL, AclOperation.READ));
        return acls;
    }

    @BeforeAll
    static void topicsAndAcls() throws Exception {
        TokvecConfig asAdmin = config(ADMIN);
        Topics.ensureAll(asAdmin);
        List<AclBinding> acls = new ArrayList<>(documentedAcls(asAdmin, TOKVEC, TRAINER));
        // the intruder is an event producer: it may write the input topic and read the model topic, not write it
        acls.add(allow(INTRUDER, ResourceType.TOPIC, asAdmin.inputTopic(), PatternType.LITERAL, AclOperation.WRITE));
        acls.add(allow(INTRUDER, ResourceType.TOPIC, asAdmin.modelTopic(), PatternType.LITERAL, AclOperation.READ));
        try (Admin admin = Admin.create(client(ADMIN))) {
            admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);
            await("the ACLs visible").atMost(WAIT).ignoreExceptions().until(
                    () -> admin.describeAcls(org.apache.kafka.common.acl.AclBindingFilter.ANY).values().get().size() == acls.size());
        }
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldEnrichEndToEndWhenTokvecHoldsOnlyTheDocumentedAcls() throws Exception {
        TokvecConfig asTokvec = config(TOKVEC);
        TokvecConfig asTrainer = config(TRAINER);
        Map<String, Object> admin = client(ADMIN);
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(SCOPE);
        EmbeddingTable v1 = TestTables.table(1, ROWS, DIM);
        Topics.ensureAll(asTokvec); // what `run` does first: the topics exist, so DESCRIBE (implied) is all it needs

        try (TokvecApp app = ItApps.startApp(asTokvec);
             ModelPublisher publisher = new ModelPublisher(asTrainer, registry);
             KafkaProducer<String, TokenEvent> events = ItApps.eventProducer(admin, registry);
             KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(admin, new ByteArraySerializer(), new ByteArraySerializer());
             TopicReader<EnrichedEvent> output = ItApps.outputReader(admin, asTokvec, registry);
             TopicReader<DeadLetter> dlq = ItApps.dlqReader(admin, asTokvec, registry)) {
            publisher.publish(v1, ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
            ItApps.awaitActiveVersion(app, 1);

            raw.send(new ProducerRecord<>(asTokvec.inputTopic(), "junk".getBytes(), "{\"not\":\"avro\"}".getBytes())).get();
            ItApps.sendAndAssertEnriched(events, output, asTokvec, 20, v1);
            List<TopicReader.Received<DeadLetter>> dead = dlq.awaitCount(1, WAIT);
            assertThat(dead).singleElement().satisfies(d -> assertThat(d.value().getReason()).isEqualTo("BAD_MAGIC"));
            assertThat(app.streams().state().isRunningOrRebalancing()).isTrue();
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldRefuseThePublishWithAnAuthorizationErrorWhenThePrincipalMayNotWriteTheModelTopic() {
        Map<String, Object> props = client(INTRUDER);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "20000");
        TokvecConfig asIntruder = new TokvecConfig(ItApps.appConfig(APP_ID, props, "mock://" + SCOPE, tmp.resolve("s-i")));
        Throwable publish;
        try (ModelPublisher publisher = new ModelPublisher(asIntruder, MockSchemaRegistry.getClientForScope(SCOPE))) {
            publish = catchThrowable(() -> publisher.publish(TestTables.table(9, ROWS, DIM), ModelChunker.DEFAULT_CHUNK_BYTES,
                    Map.of(), null));
        }
        assertThat(publish).as("publish as %s", INTRUDER).isNotNull()
                .hasMessageContaining("Not authorized to access topics: [" + asIntruder.modelTopic() + "]")
                .hasMessageContaining("publishing needs WRITE on it");
        List<Throwable> chain = new ArrayList<>();
        for (Throwable t = publish; t != null && !chain.contains(t); t = t.getCause()) chain.add(t);
        assertThat(chain).anyMatch(t -> t instanceof TopicAuthorizationException);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldExitWithTheAuthorizationErrorWhenTheProductionJarPublishesAsAPrincipalWithoutWrite() throws Exception {
        Properties p = new Properties();
        client(INTRUDER).forEach((k, v) -> p.setProperty(k, String.valueOf(v)));
        p.setProperty(ProducerConfig.MAX_BLOCK_MS_CONFIG, "20000");
        p.setProperty(TokvecConfig.SCHEMA_REGISTRY_URL, "mock://cli");
        p.setProperty(TokvecConfig.TOPIC_MODEL, config(ADMIN).modelTopic());
        p.setProperty(TokvecConfig.TABLE, TestTables.TABLE);
        Path cfg = tmp.resolve("intruder.properties");
        try (OutputStream out = Files.newOutputStream(cfg)) {
            p.store(out, "AclIT intruder");
        }
        Path glove = tmp.resolve("t.txt");
        Files.writeString(glove, "a 1 2\nb 3 4\n");
        ProductionJar.Result publish = ProductionJar.run(tmp.resolve("publish.log"), "publish", "--config", cfg.toString(),
                "--version", "9", "--file", glove.toString(), "--format", "glove");
        String output = publish.output();
        assertThat(publish.exit()).as(output).isEqualTo(1);
        assertThat(output).contains("publish: failed: cannot send chunk " + TestTables.TABLE + "/9/chunk/0 to the model topic:"
                + " Not authorized to access topics: [" + config(ADMIN).modelTopic() + "]").contains("publishing needs WRITE on it");
    }
}
