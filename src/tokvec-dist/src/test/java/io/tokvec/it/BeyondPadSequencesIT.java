package io.tokvec.it;

import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.TokenEvent;
import io.tokvec.cli.Main;
import io.tokvec.config.TokvecConfig;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.kafka.Topics;
import io.tokvec.serde.MockSchemaRegistry;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.app.TokvecApp;
import io.tokvec.testutil.GoldenCases;
import io.tokvec.testutil.GoldenCases.Case;
import io.tokvec.testutil.GoldenCases.Event;
import io.tokvec.testutil.GoldenCases.Expected;
import io.tokvec.testutil.GoldenCases.GoldenFile;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * On a real broker: {@code publish --shards … --partition-strategy mod} publishes a table saved as
 * numpy shards, and the application, with {@code tokvec.pooling=sum} and without the sequence,
 * writes the weighted EmbeddingBag sums of the torch golden case, bit for bit.
 */
class BeyondPadSequencesIT {

    private static final String SCOPE = "BeyondPadSequencesIT";

    @RegisterExtension
    static final BrokerExtension KAFKA = new BrokerExtension(SCOPE);

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldPoolWithWeightsFromATablePublishedAsShards() throws Exception {
        GoldenFile g = GoldenCases.loadResource(GoldenCases.POOLING);
        Case c = g.cases().stream().filter(x -> x.name().equals("sum-weighted-max12-post-pre")).findFirst().orElseThrow();
        Map<String, Object> client = KAFKA.broker().clientProperties();
        Map<String, String> props = ItApps.appConfig("beyond", client, "mock://" + SCOPE, tmp.resolve("state"));
        props.put(TokvecConfig.MAX_LEN, Integer.toString(c.maxLen()));
        props.put(TokvecConfig.PADDING, c.padding());
        props.put(TokvecConfig.TRUNCATING, c.truncating());
        props.put(TokvecConfig.POOLING, "sum");
        props.put(TokvecConfig.OUTPUT_SEQUENCE, "false");
        TokvecConfig config = new TokvecConfig(props);
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(SCOPE);

        Topics.ensureAll(config);
        try (TokvecApp app = ItApps.startApp(config);
             KafkaProducer<String, TokenEvent> events = ItApps.eventProducer(client, registry);
             TopicReader<EnrichedEvent> output = ItApps.outputReader(client, config, registry)) {
            List<String> args = new ArrayList<>(List.of("publish"));
            props.forEach((k, v) -> args.addAll(List.of("-p", k + "=" + v)));
            args.addAll(List.of("--version", "1", "--partition-strategy", "mod", "--shards"));
            for (int p = 0; p < 4; p++) {
                args.add(GoldenCases.copyResource("shards/pooling-mod-4-" + p + ".npy", tmp).toString());
            }
            assertThat(Main.execute(args.toArray(String[]::new))).isZero();
            ItApps.awaitActiveVersion(app, 1);
            EmbeddingTable whole = g.table(TestTables.TABLE, 1);
            assertThat(app.registry().active().data()).isEqualTo(whole.data());

            for (Event e : c.events()) {
                events.send(new ProducerRecord<>(config.inputTopic(), e.id(), TokenEvent.newBuilder().setId(e.id())
                        .setTokenIds(e.tokenIds()).setWeights(e.weights()).build()));
            }
            events.flush();
            List<TopicReader.Received<EnrichedEvent>> out = output.awaitCount(c.events().size(), Duration.ofSeconds(60));
            Map<String, Expected> expected = new HashMap<>();
            c.expected().forEach(x -> expected.put(x.id(), x));
            assertThat(out).hasSize(c.events().size());
            for (TopicReader.Received<EnrichedEvent> r : out) {
                Expected x = expected.get(r.value().getId());
                assertThat(r.value().getEmbeddings().remaining()).isZero();
                assertThat(r.value().getTableVersion()).isEqualTo(1L);
                ByteBuffer pooled = r.value().getPooled().duplicate().order(ByteOrder.LITTLE_ENDIAN);
                assertThat(pooled.remaining()).isEqualTo(g.dim() * Float.BYTES);
                for (int k = 0; k < g.dim(); k++) {
                    assertThat(Float.floatToRawIntBits(pooled.getFloat())).as("%s pooled[%d]", x.id(), k)
                            .isEqualTo(Float.floatToRawIntBits(x.pooled()[k]));
                }
            }
        }
    }
}
