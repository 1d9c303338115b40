package io.tokvec.bench;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.time.Duration;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Keeps the application busy without flooding the machine: produces pre-serialized events (cycled)
 * as long as fewer than {@code maxAhead} of them wait for their output, on its own thread.
 */
final class EventFeeder implements AutoCloseable {

    private final KafkaProducer<byte[], byte[]> producer;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long produced;
    private volatile Throwable failure;

    EventFeeder(Map<String, Object> producerProps, String topic, byte[][] keys, byte[][] values, long maxAhead,
                LongSupplier outputs) {
        this.producer = new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer());
        this.thread = new Thread(() -> {
            try {
                long i = 0;
                while (running) {
                    if (i - outputs.getAsLong() >= maxAhead) {
                        Thread.sleep(1);
                        continue;
                    }
                    int k = (int) (i % keys.length);
                    producer.send(new ProducerRecord<>(topic, keys[k], values[k]));
                    produced = ++i;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Throwable t) {
                failure = t;
            }
        }, "bench-feeder-" + topic);
        thread.setDaemon(true);
        thread.start();
    }

    long produced() {
        return produced;
    }

    Throwable failure() {
        return failure;
    }

    @Override
    public void close() {
        running = false;
        Joins.join(thread, 10_000);
        producer.close(Duration.ofSeconds(10));
    }
}
