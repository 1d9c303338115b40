package io.tokvec.bench;

import io.tokvec.avro.EnrichedEvent;
import io.tokvec.broker.EmbeddedKafkaBroker;
import io.tokvec.kafka.ModelPublisher;
import io.tokvec.kafka.Topics;
import io.tokvec.model.ModelChunker;
import io.tokvec.serde.ConfluentAvroDeserializer;
import io.tokvec.serde.MockSchemaRegistry;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.app.TokvecApp;
import io.tokvec.config.TokvecConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * End to end on the embedded broker against the passthrough ceiling, in alternating rounds.
 *
 * <p>Both pipelines run side by side, idle until fed: the tokvec application ({@link TokvecApp}: the
 * production topology, serdes and config, the table published with {@link ModelPublisher}) reading
 * {@code e2e-events}, and a consumer -&gt; producer copy ({@link Passthrough}) reading
 * {@code passthrough-events} and writing records of the mean output size. Each has its own output
 * topic (same partitions, same producer settings) read by an {@link OutputRecorder}. A round
 * produces {@code warmup + timed} pre-serialized events to one input topic and times, by the
 * reader's clock, outputs number {@code warmup} to {@code warmup + timed}. After one uncounted round
 * each (JIT, connections), rounds alternate between the two pipelines so that both see the same
 * background load, and each figure is the median of its rounds (a shared machine makes single rounds
 * noisy).
 */
final class BrokerBench {

    private final Workload workload;
    private final EmbeddedKafkaBroker broker;
    private final Path stateDir;
    private final Duration timeout = Duration.ofMinutes(10);

    BrokerBench(Workload workload, EmbeddedKafkaBroker broker, Path stateDir) {
        this.workload = workload;
        this.broker = broker;
        this.stateDir = stateDir;
    }

    void run(BenchReport report) throws Exception {
        BenchSettings s = workload.settings();
        String scope = "tokvec-bench-e2e-" + System.nanoTime();
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(scope);
        TokvecConfig cfg = BenchKafka.appConfig(broker, "e2e", scope, stateDir, s);
        BenchKafka.createTopics(broker, cfg);
        Topics.ensureAll(cfg); // the compacted model topic
        String copyIn = "passthrough-events";
        String copyOut = "passthrough-copy";
        broker.createTopic(copyIn, s.partitions(), Map.of());
        broker.createTopic(copyOut, s.partitions(), BenchKafka.OUTPUT_TOPIC);
        int n = workload.size();
        byte[][] keys = workload.keys(n);
        byte[][] values = workload.serialized(registry, cfg.inputTopic(), n);
        List<Double> e2eRounds = new ArrayList<>();
        List<Double> passRounds = new ArrayList<>();
        double meanOutput;
        try (ModelPublisher publisher = new ModelPublisher(cfg, registry)) {
            publisher.publish(workload.table(), ModelChunker.DEFAULT_CHUNK_BYTES, Map.of("source", "tokvec bench"), null);
        }
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(BenchKafka.producerProps(broker, "bench-e2e-producer"),
                new ByteArraySerializer(), new ByteArraySerializer());
             OutputRecorder e2eOut = new OutputRecorder(BenchKafka.outputConsumerProps(broker, "bench-e2e-reader", s),
                     cfg.outputTopic(), false);
             OutputRecorder passOut = new OutputRecorder(BenchKafka.outputConsumerProps(broker, "bench-copy-reader", s),
                     copyOut, false);
             TokvecApp app = new TokvecApp(cfg).start()) {
            round(producer, cfg.inputTopic(), keys, values, e2eOut, s, timeout); // warmup round, not counted
            meanOutput = (double) e2eOut.bytes() / e2eOut.count();
            checkFirstOutput(registry, cfg, e2eOut.firstValue());
            try (Passthrough copy = new Passthrough(broker.clientProperties(), BenchKafka.producerProps(broker, "bench-passthrough"),
                    copyIn, copyOut, (int) Math.round(meanOutput))) {
                round(producer, copyIn, keys, values, passOut, s, timeout); // warmup round, not counted
                for (int r = 0; r < s.e2eRounds(); r++) {
                    e2eRounds.add(round(producer, cfg.inputTopic(), keys, values, e2eOut, s, timeout));
                    passRounds.add(round(producer, copyIn, keys, values, passOut, s, timeout));
                }
                if (copy.failure() != null) {
                    throw new IllegalStateException("passthrough failed", copy.failure());
                }
            }
            if (app.metrics().deadLetterCount() != 0) {
                throw new IllegalStateException("e2e: " + app.metrics().deadLetterCount() + " events were dead-lettered");
            }
        } finally {
            MockSchemaRegistry.dropScope(scope);
        }
        double e2e = median(e2eRounds);
        double pass = median(passRounds);
        report.e2e = e2e;
        report.passthrough = pass;
        report.add(new BenchReport.Row("e2e", e2e, Double.NaN, e2e * s.embeddingBytes() / 1e6, String.format(Locale.ROOT,
                "TokvecApp on the embedded broker, %s, %d partition(s); median of %d rounds of %,d events; output %,.0f B",
                s.guarantee(), s.partitions(), e2eRounds.size(), s.e2eEvents(), meanOutput)));
        report.add(new BenchReport.Row("passthrough", pass, Double.NaN, pass * s.embeddingBytes() / 1e6, String.format(Locale.ROOT,
                "consumer -> producer copy, 1 thread, no computation, %,.0f B records; median of %d rounds",
                meanOutput, passRounds.size())));
        report.detail(String.format(Locale.ROOT, "e2e rounds (events/s): %s; passthrough rounds: %s; each round %,d warmup + %,d "
                        + "timed events; rounds alternate, after one uncounted round each",
                format(e2eRounds), format(passRounds), s.e2eWarmup(), s.e2eEvents()));
        report.detail("e2e/passthrough producers: " + BenchKafka.describeProducer()
                + "; output topics use LogAppendTime; readers use max.partition.fetch.bytes=8 MiB");
    }

    /** Produces one round to {@code topic} and returns the timed events per second read from the output. */
    static double round(KafkaProducer<byte[], byte[]> producer, String topic, byte[][] keys, byte[][] values,
                        OutputRecorder out, BenchSettings s, Duration timeout) throws Exception {
        long base = out.count();
        long total = (long) s.e2eWarmup() + s.e2eEvents();
        for (long i = 0; i < total; i++) {
            int k = (int) ((base + i) % keys.length);
            producer.send(new ProducerRecord<>(topic, keys[k], values[k]));
        }
        producer.flush();
        long t0 = out.awaitCount(base + Math.max(1, s.e2eWarmup()), timeout);
        long t1 = out.awaitCount(base + total, timeout);
        return s.e2eEvents() / ((t1 - t0) / 1e9);
    }

    static double median(List<Double> xs) {
        List<Double> sorted = new ArrayList<>(xs);
        Collections.sort(sorted);
        int m = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(m) : (sorted.get(m - 1) + sorted.get(m)) / 2;
    }

    private static String format(List<Double> xs) {
        return xs.stream().map(x -> String.format(Locale.ROOT, "%,.0f", x)).collect(Collectors.joining(", "));
    }

    /** The first output decodes and names the table version that was published. */
    private static void checkFirstOutput(SchemaRegistryClient registry, TokvecConfig cfg, byte[] value) {
        EnrichedEvent e = new ConfluentAvroDeserializer<>(EnrichedEvent.class, registry, false).deserialize(cfg.outputTopic(), value);
        if (e.getTableVersion() != 1 || e.getIds().size() != cfg.enrichOptions().maxLen()) {
            throw new IllegalStateException("e2e: unexpected output record " + e.getId() + " v" + e.getTableVersion());
        }
    }
}
