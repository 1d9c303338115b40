package io.tokvec.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.TokenEvent;
import io.tokvec.devkit.TestSchemaRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One serializer and one deserializer shared by many threads, as Kafka Streams does (on a mock:// and on an HTTP registry). */
class ConcurrencyTest {

    private static final String SCOPE = ConcurrencyTest.class.getSimpleName();
    private static final int THREADS = 8;

    private final ExecutorService pool = Executors.newFixedThreadPool(THREADS);

    @AfterEach
    void tearDown() throws InterruptedException {
        pool.shutdownNow();
        pool.awaitTermination(10, TimeUnit.SECONDS);
        MockSchemaRegistry.dropScope(SCOPE);
    }

    @Test
    void shouldProduceExactBytesAndEqualRecordsWhenThreadsShareSerdes() throws Exception {
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(SCOPE);
        var serializer = new ConfluentAvroSerializer<SpecificRecord>(registry, false);
        var tokens = new ConfluentAvroDeserializer<>(TokenEvent.class, registry, false);
        var enriched = new ConfluentAvroDeserializer<>(EnrichedEvent.class, registry, false);
        List<Future<Integer>> results = runTogether(thread -> {
            // per thread: building from a template copies its ByteBuffer, which is not thread-safe
            EnrichedEvent template = (EnrichedEvent) SampleRecords.all().get(2);
            int checked = 0;
            for (int i = 0; i < 2_000; i++) {
                String topic = "topic-" + (i % 3);
                TokenEvent event = SampleRecords.tokenEvent("t" + thread + "-" + i, thread, i, i * 7);
                byte[] bytes = serializer.serialize(topic, event);
                int id = WireFormat.schemaId(bytes);
                assertThat(bytes).isEqualTo(SampleRecords.frame(id, SampleRecords.avroBinary(event)));
                assertThat(tokens.deserialize(topic, bytes)).isEqualTo(event);

                EnrichedEvent out = EnrichedEvent.newBuilder(template).setId("e" + thread + "-" + i)
                        .setLength(i % 3).build();
                assertThat(enriched.deserialize(topic, serializer.serialize(topic, out))).isEqualTo(out);
                checked += 2;
            }
            return checked;
        });

        for (Future<Integer> f : results) {
            assertThat(f.get(60, TimeUnit.SECONDS)).isEqualTo(4_000);
        }
        assertThat(registry.getId("topic-2-value", TokenEvent.getClassSchema())).isEqualTo(1);
        assertThat(registry.getId("topic-2-value", EnrichedEvent.getClassSchema())).isEqualTo(2);
    }

    @Test
    void shouldRegisterAndFetchOnceWhenThreadsRaceOnAColdHttpClient() throws Exception {
        try (TestSchemaRegistry server = new TestSchemaRegistry().start()) {
            Map<String, Object> config = Map.of(SchemaRegistries.URL, server.url());
            var serializer = new ConfluentAvroSerializer<TokenEvent>();
            serializer.configure(config, false);
            var deserializer = new ConfluentAvroDeserializer<>(TokenEvent.class);
            deserializer.configure(config, false);
            byte[] first = serializer.serialize("warm", SampleRecords.tokenEvent("w", 1));

            List<Future<Integer>> results = runTogether(thread -> {
                int checked = 0;
                assertThat(deserializer.deserialize("warm", first)).isEqualTo(SampleRecords.tokenEvent("w", 1));
                for (int i = 0; i < 200; i++) {
                    TokenEvent event = SampleRecords.tokenEvent("h" + thread + "-" + i, i);
                    assertThat(deserializer.deserialize("cold", serializer.serialize("cold", event))).isEqualTo(event);
                    checked++;
                }
                return checked;
            });

            for (Future<Integer> f : results) {
                assertThat(f.get(60, TimeUnit.SECONDS)).isEqualTo(200);
            }
            assertThat(server.registrations()).containsExactly("warm-value", "cold-value");
            assertThat(server.fetches()).isEqualTo(1);
        }
    }

    private interface Work {
        int run(int thread) throws Exception;
    }

    /** Starts {@link #THREADS} copies of {@code work} at the same moment. */
    private List<Future<Integer>> runTogether(Work work) {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Integer>> futures = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int thread = t;
            Callable<Integer> task = () -> {
                start.await();
                return work.run(thread);
            };
            futures.add(pool.submit(task));
        }
        start.countDown();
        return futures;
    }
}
