package io.tokvec.it;

import io.tokvec.devkit.TestSchemaRegistry;
import io.tokvec.config.TokvecConfig;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.kafka.ModelPublisher;
import io.tokvec.kafka.Topics;
import io.tokvec.avro.ModelRecord;
import io.tokvec.model.ModelChunker;
import io.tokvec.model.ModelKey;
import io.tokvec.serde.ConfluentAvroSerializer;
import io.tokvec.serde.SchemaRegistries;
import io.tokvec.serde.SchemaRegistryClient;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * {@code publish} fails loudly and refuses early. A broker that refuses chunks (the model topic's
 * {@code max.message.bytes} below the full chunks, above the last one): the publish fails naming the
 * first refused chunk and no commit is written, although the last chunk was accepted. On a topic
 * holding v2, {@code tokvec-app.jar publish} refuses, before sending anything (exit 2, one line), a
 * version that is not above v2 and an activate record for a version that is not committed, and warns
 * when {@code --table} names another table than the configuration serves.
 */
class PublishSafetyIT {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    static final BrokerExtension KAFKA = new BrokerExtension("PublishSafetyIT");
    @RegisterExtension
    static final TestSchemaRegistry REGISTRY = new TestSchemaRegistry();

    @TempDir
    Path tmp;

    private TokvecConfig config(String name) {
        return new TokvecConfig(ItApps.appConfig(name, KAFKA.broker().clientProperties(), REGISTRY.url(), tmp.resolve(name)));
    }

    /** The keys on the model topic, in order. */
    private List<String> modelKeys(TokvecConfig config) {
        try (TopicReader<byte[]> r = new TopicReader<>(KAFKA.broker().clientProperties(), config.modelTopic(),
                new ByteArrayDeserializer(), false)) {
            return r.readToEnd(WAIT).stream().map(x -> new String(x.key(), java.nio.charset.StandardCharsets.UTF_8)).toList();
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldFailNamingTheRefusedChunkAndWriteNoCommitWhenTheBrokerRefusesAChunk() throws Exception {
        TokvecConfig config = config("refusing");
        // 1,000 rows x 8 float32 (and tokens) in chunks of at most 12,000 bytes: full ones, then a short last one
        EmbeddingTable table = TestTables.table(1, 1000, 8);
        int chunkBytes = 12_000;
        int maxMessageBytes = 10_000;
        ModelChunker chunker = new ModelChunker(table, chunkBytes);
        int last = chunker.chunkCount() - 1;
        try (SchemaRegistryClient registry = SchemaRegistries.forConfig(Map.of(SchemaRegistries.URL, REGISTRY.url()))) {
            ConfluentAvroSerializer<ModelRecord> ser = new ConfluentAvroSerializer<>(registry, false);
            for (int i = 0; i <= last; i++) {
                int size = ser.serialize(config.modelTopic(), chunker.chunk(i).record()).length;
                if (i < last) {
                    assertThat(size).as("chunk %d's record, which the broker refuses", i).isGreaterThan(maxMessageBytes);
                } else {
                    assertThat(size).as("the last chunk's record, which the broker accepts").isLessThan(maxMessageBytes - 500);
                }
            }
        }
        assertThat(last).isGreaterThanOrEqualTo(2);
        try (Admin admin = Admin.create(KAFKA.broker().clientProperties())) {
            NewTopic model = new NewTopic(config.modelTopic(), 1, (short) 1).configs(Map.of(
                    TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                    TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(maxMessageBytes)));
            admin.createTopics(List.of(model)).all().get(30, TimeUnit.SECONDS);
        }
        Topics.ensureAll(config);
        try (SchemaRegistryClient registry = SchemaRegistries.forConfig(Map.of(SchemaRegistries.URL, REGISTRY.url()));
             ModelPublisher publisher = new ModelPublisher(config, registry)) {
            IllegalStateException failed = catchThrowableOfType(IllegalStateException.class,
                    () -> publisher.publish(table, chunkBytes, Map.of(), null));
            assertThat(failed).as("the publish").isNotNull()
                    .hasMessageStartingWith("cannot send chunk " + TestTables.TABLE + "/1/chunk/0 to the model topic: ");
            assertThat(failed.getCause()).isInstanceOf(RecordTooLargeException.class);
        }
        List<String> keys = modelKeys(config);
        assertThat(keys).as("what reached the model topic: the last chunk only, no commit")
                .containsExactly(ModelKey.chunk(TestTables.TABLE, 1, last).topicKey());
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void shouldRefuseBeforeSendingAnythingWhatTheApplicationWouldReject() throws Exception {
        TokvecConfig config = config("refused");
        Topics.ensureAll(config);
        try (SchemaRegistryClient registry = SchemaRegistries.forConfig(Map.of(SchemaRegistries.URL, REGISTRY.url()));
             ModelPublisher publisher = new ModelPublisher(config, registry)) {
            publisher.publish(TestTables.table(1, 20, 4), 200, Map.of(), null);
            publisher.publish(TestTables.table(2, 20, 4), 200, Map.of(), null);
            assertThat(catchThrowableOfType(ModelPublisher.Refused.class,
                    () -> publisher.publish(TestTables.table(2, 20, 4), 200, Map.of(), null)))
                    .hasMessageContaining("v2 is not above v2").hasMessageContaining("DUPLICATE_VERSION");
        }
        List<String> before = modelKeys(config);
        Path cfg = ChildProcessApp.writeConfig(ItApps.appConfig("refused", KAFKA.broker().clientProperties(), REGISTRY.url(),
                tmp.resolve("cli")), tmp.resolve("refused.properties"));
        Path glove = tmp.resolve("t.txt");
        Files.writeString(glove, "a 1 2\nb 3 4\n");

        ProductionJar.Result older = ProductionJar.run(tmp.resolve("older.log"), "publish", "--config", cfg.toString(),
                "--version", "1", "--file", glove.toString(), "--format", "glove");
        assertThat(older.exit()).as(older.output()).isEqualTo(2);
        assertThat(publishLines(older)).containsExactly("publish: refused: table " + TestTables.TABLE + ": v1 is not above v2, the"
                + " newest version committed on refused-model; the application would reject it as VERSION_NOT_NEWER (publish v3"
                + " or higher, or roll back with --activate)");

        ProductionJar.Result unknown = ProductionJar.run(tmp.resolve("unknown.log"), "publish", "--config", cfg.toString(),
                "--activate", "7");
        assertThat(unknown.exit()).as(unknown.output()).isEqualTo(2);
        assertThat(publishLines(unknown)).containsExactly("publish: refused: table " + TestTables.TABLE + ": v7 is not committed on"
                + " refused-model (committed: [1, 2]); the application would reject the activate record as UNKNOWN_VERSION");
        assertThat(modelKeys(config)).as("nothing sent by the refused commands").isEqualTo(before);

        ProductionJar.Result other = ProductionJar.run(tmp.resolve("other.log"), "publish", "--config", cfg.toString(),
                "--table", "glove", "--version", "1", "--file", glove.toString(), "--format", "glove");
        assertThat(other.exit()).as(other.output()).isZero();
        assertThat(publishLines(other)).hasSize(2).first().isEqualTo("publish: warning: table 'glove' (--table) is not the table"
                + " this configuration serves ('" + TestTables.TABLE + "', tokvec.table): an application run with it ignores this table");
        assertThat(publishLines(other).get(1)).startsWith("publish: glove v1: 4 rows x 2 dim");

        ProductionJar.Result rollback = ProductionJar.run(tmp.resolve("rollback.log"), "publish", "--config", cfg.toString(),
                "--activate", "1", "--reason", "test");
        assertThat(rollback.exit()).as(rollback.output()).isZero();
        Set<String> after = modelKeys(config).stream().skip(before.size()).collect(Collectors.toSet());
        assertThat(after).contains("glove/1/commit", TestTables.TABLE + "/activate");
    }

    /** The lines the command printed itself (not the Kafka clients' log lines), none of them a stack trace. */
    private static List<String> publishLines(ProductionJar.Result r) {
        assertThat(r.output()).as("no stack trace").doesNotContain("\tat ");
        List<String> out = new ArrayList<>();
        r.output().lines().filter(l -> l.startsWith("publish:")).forEach(out::add);
        return out;
    }
}
