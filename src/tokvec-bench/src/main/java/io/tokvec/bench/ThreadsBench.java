package io.tokvec.bench;

import io.tokvec.broker.EmbeddedKafkaBroker;
import io.tokvec.config.TokvecConfig;
import io.tokvec.kafka.ModelPublisher;
import io.tokvec.kafka.Topics;
import io.tokvec.model.ModelChunker;
import io.tokvec.serde.MockSchemaRegistry;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.app.TokvecApp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * End-to-end throughput with 1 and with 2 stream threads in one instance, on two input partitions
 * (at_least_once, the embedded broker): one warmup round, then the median of the timed rounds, the
 * same rounds as the e2e part. The broker, the bench's producer and reader share the machine.
 */
final class ThreadsBench {

    private static final int PARTITIONS = 2;

    private final Workload workload;
    private final EmbeddedKafkaBroker broker;
    private final Path stateDir;
    private final Duration timeout = Duration.ofMinutes(10);

    ThreadsBench(Workload workload, EmbeddedKafkaBroker broker, Path stateDir) {
        this.workload = workload;
        this.broker = broker;
        this.stateDir = stateDir;
    }

    void run(BenchReport report) throws Exception {
        List<Double> medians = new ArrayList<>();
        for (int threads = 1; threads <= 2; threads++) {
            double eps = measure(threads);
            medians.add(eps);
            report.add(new BenchReport.Row("threads-" + threads, eps, Double.NaN, eps * workload.settings().embeddingBytes() / 1e6,
                    String.format(Locale.ROOT, "e2e with %d stream thread(s), %d partitions, at_least_once; median of %d rounds",
                            threads, PARTITIONS, workload.settings().e2eRounds())));
        }
        report.detail(String.format(Locale.ROOT, "threads: 2 stream threads / 1 = %.2fx on %d cores (broker, producer and reader"
                + " in the same JVM)", medians.get(1) / medians.get(0), Runtime.getRuntime().availableProcessors()));
    }

    private double measure(int threads) throws Exception {
        BenchSettings s = workload.settings();
        String prefix = "threads-" + threads;
        String scope = "tokvec-bench-" + prefix + "-" + System.nanoTime();
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(scope);
        TokvecConfig cfg = BenchKafka.appConfig(broker, prefix, scope, stateDir, s, Map.of(
                StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE,
                StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.toString(threads),
                TokvecConfig.TOPIC_PARTITIONS, Integer.toString(PARTITIONS)));
        BenchKafka.createTopics(broker, cfg);
        Topics.ensureAll(cfg);
        int n = workload.size();
        byte[][] keys = workload.keys(n);
        byte[][] values = workload.serialized(registry, cfg.inputTopic(), n);
        List<Double> rounds = new ArrayList<>();
        try (ModelPublisher publisher = new ModelPublisher(cfg, registry);
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(BenchKafka.producerProps(broker, "bench-" + prefix),
                     new ByteArraySerializer(), new ByteArraySerializer());
             OutputRecorder out = new OutputRecorder(BenchKafka.outputConsumerProps(broker, "bench-" + prefix + "-reader",
                     StreamsConfig.AT_LEAST_ONCE), cfg.outputTopic(), false);
             TokvecApp app = new TokvecApp(cfg)) {
            publisher.publish(workload.table(), ModelChunker.DEFAULT_CHUNK_BYTES, Map.of("source", "tokvec bench"), null);
            app.start();
            BrokerBench.round(producer, cfg.inputTopic(), keys, values, out, s, timeout); // warmup, not counted
            for (int r = 0; r < s.e2eRounds(); r++) {
                rounds.add(BrokerBench.round(producer, cfg.inputTopic(), keys, values, out, s, timeout));
            }
        } finally {
            MockSchemaRegistry.dropScope(scope);
        }
        return BrokerBench.median(rounds);
    }
}
