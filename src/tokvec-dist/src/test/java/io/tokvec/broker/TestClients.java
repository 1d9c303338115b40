package io.tokvec.broker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import static org.awaitility.Awaitility.await;

/** Plain kafka-clients producers and consumers for the broker integration tests. */
final class TestClients {

    private TestClients() {
    }

    static KafkaProducer<String, String> producer(Map<String, Object> base) {
        Map<String, Object> p = new HashMap<>(base);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200);
        return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    /** Sends the records (key to value) and waits until every one is acknowledged. */
    static void produce(Map<String, Object> base, String topic, Map<String, String> records) throws Exception {
        try (KafkaProducer<String, String> producer = producer(base)) {
            send(producer, topic, records);
        }
    }

    static void send(KafkaProducer<String, String> producer, String topic, Map<String, String> records) throws Exception {
        List<java.util.concurrent.Future<?>> acks = new ArrayList<>();
        records.forEach((k, v) -> acks.add(producer.send(new ProducerRecord<>(topic, k, v))));
        for (var ack : acks) {
            ack.get(60, TimeUnit.SECONDS);
        }
    }

    static KafkaConsumer<String, String> consumer(Map<String, Object> base, String groupId) {
        Map<String, Object> c = new HashMap<>(base);
        if (groupId != null) {
            c.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        }
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer());
    }

    /**
     * Reads a topic from the beginning (no consumer group) until {@code expected} records arrived (failing when the
     * timeout passes first); returns key to value in offset order per partition.
     */
    static Map<String, String> readAll(Map<String, Object> base, String topic, int expected, Duration timeout) {
        try (KafkaConsumer<String, String> consumer = consumer(base, null)) {
            List<PartitionInfo> parts = consumer.partitionsFor(topic, timeout);
            List<TopicPartition> tps = parts.stream().map(p -> new TopicPartition(topic, p.partition())).collect(Collectors.toList());
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            return pollUntil(consumer, expected, timeout);
        }
    }

    /** Subscribes with a consumer group (exercising the group coordinator and __consumer_offsets) and reads. */
    static Map<String, String> readWithGroup(Map<String, Object> base, String topic, String group, int expected, Duration timeout) {
        try (KafkaConsumer<String, String> consumer = consumer(base, group)) {
            consumer.subscribe(List.of(topic));
            Map<String, String> got = pollUntil(consumer, expected, timeout);
            consumer.commitSync(Duration.ofSeconds(30));
            return got;
        }
    }

    private static Map<String, String> pollUntil(KafkaConsumer<String, String> consumer, int expected, Duration timeout) {
        Map<String, String> got = new java.util.LinkedHashMap<>();
        await(expected + " records").atMost(timeout).pollInSameThread().pollInterval(Duration.ZERO).until(() -> {
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                got.put(r.key(), r.value());
            }
            return got.size() >= expected;
        });
        return got;
    }
}
