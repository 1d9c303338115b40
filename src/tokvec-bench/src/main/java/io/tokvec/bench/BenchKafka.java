package io.tokvec.bench;

import io.tokvec.broker.EmbeddedKafkaBroker;
import io.tokvec.config.TokvecConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsConfig;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Kafka settings the in-process application parts (swap, latency, large) share: the tokvec
 * application with tokvec's own defaults, the bench's producers and readers, and the topics, on the
 * broker process.
 */
final class BenchKafka {

    /** Producer settings of the bench's own producers (feeders, publishers of the swap parts). */
    static final Map<String, String> PRODUCER = orderedMap(
            ProducerConfig.LINGER_MS_CONFIG, "5",
            ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(512 * 1024),
            ProducerConfig.COMPRESSION_TYPE_CONFIG, "none",
            ProducerConfig.ACKS_CONFIG, "all");

    /** Output topics: the broker stamps each batch (LogAppendTime), so gaps between outputs are visible in the records. */
    static final Map<String, String> OUTPUT_TOPIC = Map.of(
            TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime",
            TopicConfig.SEGMENT_BYTES_CONFIG, Integer.toString(256 << 20),
            TopicConfig.RETENTION_BYTES_CONFIG, Long.toString(2L << 30));

    private BenchKafka() {
    }

    /** A tokvec application config (tokvec's defaults, the bench's topics) on the broker, topics named {@code <prefix>-events} etc. */
    static TokvecConfig appConfig(BrokerProcess broker, String prefix, String scope, Path stateDir, BenchSettings s) {
        return appConfig(broker, prefix, scope, stateDir, s, Map.of());
    }

    /** As {@link #appConfig(BrokerProcess, String, String, Path, BenchSettings)}, with some keys overridden. */
    static TokvecConfig appConfig(BrokerProcess broker, String prefix, String scope, Path stateDir, BenchSettings s,
                                  Map<String, String> overrides) {
        return appConfig(broker.clientProperties(), prefix, scope, stateDir, s, overrides);
    }

    /** As {@link #appConfig(BrokerProcess, String, String, Path, BenchSettings, Map)}, on the in-process broker. */
    static TokvecConfig appConfig(EmbeddedKafkaBroker broker, String prefix, String scope, Path stateDir, BenchSettings s,
                                  Map<String, String> overrides) {
        return appConfig(broker.clientProperties(), prefix, scope, stateDir, s, overrides);
    }

    private static TokvecConfig appConfig(Map<String, ?> client, String prefix, String scope, Path stateDir, BenchSettings s,
                                          Map<String, String> overrides) {
        Map<String, String> p = new HashMap<>();
        client.forEach((k, v) -> p.put(k, String.valueOf(v)));
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve(prefix).toString());
        p.put(TokvecConfig.SCHEMA_REGISTRY_URL, "mock://" + scope);
        putBenchKeys(p, prefix, s);
        p.putAll(overrides);
        return new TokvecConfig(p);
    }

    /**
     * What every tokvec instance of the bench is given: application id {@code tokvec-<prefix>}, the settings'
     * guarantee, a stream thread per partition (at most one per core), the bench's topics ({@code <prefix>-events}
     * etc.), its table and {@code max_len}.
     */
    private static void putBenchKeys(Map<String, String> p, String prefix, BenchSettings s) {
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "tokvec-" + prefix);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, s.guarantee());
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.toString(Math.min(s.partitions(),
                Runtime.getRuntime().availableProcessors())));
        p.put(TokvecConfig.TOPIC_INPUT, prefix + "-events");
        p.put(TokvecConfig.TOPIC_OUTPUT, prefix + "-enriched");
        p.put(TokvecConfig.TOPIC_MODEL, prefix + "-model");
        p.put(TokvecConfig.TOPIC_DLQ, prefix + "-dlq");
        p.put(TokvecConfig.TOPIC_PARTITIONS, Integer.toString(s.partitions()));
        p.put(TokvecConfig.TABLE, Workload.TABLE);
        p.put(TokvecConfig.MAX_LEN, Integer.toString(s.maxLen()));
    }

    /**
     * The config of a {@code tokvec run} process on the broker process: its schema registry, the
     * bench's topics ({@code <prefix>-events} etc.), replication factor 1, the settings' guarantee,
     * tokvec's defaults for everything else; some keys overridden.
     */
    static Map<String, String> appProps(BrokerProcess broker, String prefix, Path stateDir, BenchSettings s,
                                        Map<String, String> overrides) {
        Map<String, String> p = new java.util.LinkedHashMap<>();
        p.put("bootstrap.servers", broker.bootstrapServers());
        p.put(TokvecConfig.SCHEMA_REGISTRY_URL, broker.registryUrl());
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, "1");
        p.put(TokvecConfig.TOPIC_REPLICATION, "1");
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        putBenchKeys(p, prefix, s);
        p.putAll(overrides);
        return p;
    }

    /** Records (offsets) in {@code topic}, all partitions. */
    static long endOffsets(BrokerProcess broker, String topic) throws Exception {
        var parts = broker.admin().describeTopics(java.util.List.of(topic)).allTopicNames().get(1, java.util.concurrent.TimeUnit.MINUTES)
                .get(topic).partitions();
        var request = new HashMap<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec>();
        parts.forEach(i -> request.put(new org.apache.kafka.common.TopicPartition(topic, i.partition()),
                org.apache.kafka.clients.admin.OffsetSpec.latest()));
        return broker.admin().listOffsets(request).all().get(1, java.util.concurrent.TimeUnit.MINUTES).values().stream()
                .mapToLong(org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo::offset).sum();
    }

    /**
     * The in-process broker of the {@code delta} part (log cleaner dedupe buffer 16 MiB: the model
     * topic has a few thousand keys; 16 MiB holds about 700,000).
     */
    static EmbeddedKafkaBroker.Builder broker() {
        return EmbeddedKafkaBroker.builder()
                .brokerProperty("log.retention.check.interval.ms", "10000")
                .brokerProperty("log.cleaner.dedupe.buffer.size", Integer.toString(16 << 20));
    }

    /** Creates input, output (LogAppendTime) and dead-letter topics; the application creates the model topic. */
    static void createTopics(EmbeddedKafkaBroker broker, TokvecConfig cfg) {
        broker.createTopic(cfg.inputTopic(), cfg.topicPartitions(), Map.of());
        broker.createTopic(cfg.outputTopic(), cfg.topicPartitions(), OUTPUT_TOPIC);
        broker.createTopic(cfg.dlqTopic(), cfg.topicPartitions(), Map.of());
    }

    /** As {@link #createTopics(EmbeddedKafkaBroker, TokvecConfig)}, on the broker process. */
    static void createTopics(BrokerProcess broker, TokvecConfig cfg) {
        broker.createTopic(cfg.inputTopic(), cfg.topicPartitions(), Map.of());
        broker.createTopic(cfg.outputTopic(), cfg.topicPartitions(), OUTPUT_TOPIC);
        broker.createTopic(cfg.dlqTopic(), cfg.topicPartitions(), Map.of());
    }

    static Map<String, Object> producerProps(BrokerProcess broker, String clientId) {
        return producerProps(broker.clientProperties(), clientId);
    }

    static Map<String, Object> producerProps(EmbeddedKafkaBroker broker, String clientId) {
        return producerProps(broker.clientProperties(), clientId);
    }

    private static Map<String, Object> producerProps(Map<String, ?> client, String clientId) {
        Map<String, Object> p = new HashMap<>(client);
        p.putAll(PRODUCER);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        return p;
    }

    /** Consumers that read outputs: larger fetches than the default 1 MiB per partition (outputs are 66 KB each). */
    static Map<String, Object> outputConsumerProps(BrokerProcess broker, String clientId, BenchSettings s) {
        return outputConsumerProps(broker, clientId, s.guarantee());
    }

    /** As {@link #outputConsumerProps(BrokerProcess, String, BenchSettings)}, for the given processing guarantee. */
    static Map<String, Object> outputConsumerProps(BrokerProcess broker, String clientId, String guarantee) {
        return outputConsumerProps(broker.clientProperties(), clientId, guarantee);
    }

    /** As {@link #outputConsumerProps(BrokerProcess, String, BenchSettings)}, on the in-process broker. */
    static Map<String, Object> outputConsumerProps(EmbeddedKafkaBroker broker, String clientId, BenchSettings s) {
        return outputConsumerProps(broker.clientProperties(), clientId, s.guarantee());
    }

    private static Map<String, Object> outputConsumerProps(Map<String, ?> client, String clientId, String guarantee) {
        Map<String, Object> p = new HashMap<>(client);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(8 << 20));
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                guarantee.startsWith("exactly_once") ? "read_committed" : "read_uncommitted");
        return p;
    }

    private static Map<String, String> orderedMap(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(m);
    }
}
