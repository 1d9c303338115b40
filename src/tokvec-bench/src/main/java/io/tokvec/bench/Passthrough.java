package io.tokvec.bench;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The ceiling for the end-to-end figure: a plain consumer -&gt; producer loop on one thread that, for
 * every input record, writes one record of the output's size with no computation at all (the same
 * payload bytes every time; the producer copies them into its batch as it would a fresh array).
 */
final class Passthrough implements AutoCloseable {

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<byte[], byte[]> producer;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Throwable failure;

    Passthrough(Map<String, Object> clientProps, Map<String, Object> producerProps, String from, String to, int payloadBytes) {
        Map<String, Object> c = new HashMap<>(clientProps);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "tokvec-bench-passthrough");
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "1000"); // as Kafka Streams' consumer
        this.consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.producer = new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer());
        byte[] payload = new byte[payloadBytes];
        consumer.subscribe(List.of(from));
        this.thread = new Thread(() -> {
            try {
                while (running) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                        producer.send(new ProducerRecord<>(to, r.key(), payload));
                    }
                }
            } catch (Throwable t) {
                failure = t;
            }
        }, "bench-passthrough");
        thread.setDaemon(true);
        thread.start();
    }

    Throwable failure() {
        return failure;
    }

    @Override
    public void close() {
        running = false;
        Joins.join(thread, 10_000);
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        producer.close(Duration.ofSeconds(10));
    }
}
