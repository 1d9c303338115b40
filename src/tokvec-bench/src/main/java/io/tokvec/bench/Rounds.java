package io.tokvec.bench;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Timed rounds of events through an application on the in-process broker, and their median. */
final class Rounds {

    private Rounds() {
    }

    /**
     * Produces {@code e2eWarmup + e2eEvents} events to {@code topic} and returns the timed events per
     * second read from the output (by the reader's clock, from output number {@code e2eWarmup} on).
     */
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
}
