package io.tokvec.it;

import io.tokvec.avro.TokenEvent;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Feeds {@code total} events, keyed by event id, to a topic from a background thread at a steady
 * rate (pacing, not synchronisation: tests wait on {@link #sent()}, {@link #acked()} and the output
 * instead). Events are numbered 0, 1, ... in send order; the producer should be idempotent so that
 * send order is offset order within a partition, broker restarts included.
 */
final class EventFeeder implements AutoCloseable {

    private final KafkaProducer<String, TokenEvent> producer;
    private final String topic;
    private final int total;
    private final long nanosPerEvent;
    private final IntFunction<TokenEvent> events;
    private final Map<String, TokenEvent> sentEvents = new ConcurrentHashMap<>();
    private final AtomicInteger sent = new AtomicInteger();
    private final AtomicInteger acked = new AtomicInteger();
    private final List<Exception> failures = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean stopped;

    EventFeeder(KafkaProducer<String, TokenEvent> producer, String topic, int total, int perSecond, IntFunction<TokenEvent> events) {
        this.producer = producer;
        this.topic = topic;
        this.total = total;
        this.nanosPerEvent = 1_000_000_000L / perSecond;
        this.events = events;
        this.thread = new Thread(this::run, "it-event-feeder");
        thread.setDaemon(true);
    }

    EventFeeder start() {
        thread.start();
        return this;
    }

    private void run() {
        long t0 = System.nanoTime();
        for (int i = 0; i < total && !stopped; i++) {
            long due = t0 + i * nanosPerEvent;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            TokenEvent e = events.apply(i);
            sentEvents.put(e.getId(), e);
            try {
                producer.send(new ProducerRecord<>(topic, e.getId(), e), (md, ex) -> {
                    if (ex != null) failures.add(ex);
                    else acked.incrementAndGet();
                });
            } catch (RuntimeException ex) {
                failures.add(ex);
                return;
            }
            sent.incrementAndGet();
        }
        producer.flush();
    }

    /** Events handed to the producer so far. */
    int sent() {
        return sent.get();
    }

    /** Events the broker acknowledged so far. */
    int acked() {
        return acked.get();
    }

    int total() {
        return total;
    }

    /** Every event sent, by id. */
    Map<String, TokenEvent> events() {
        return sentEvents;
    }

    /** Waits until every event was sent and acknowledged, and asserts that no send failed. */
    void awaitAllAcked(Duration timeout) {
        await("all " + total + " events acknowledged").atMost(timeout).untilAsserted(() ->
                assertThat(acked.get() + failures.size() >= total || !failures.isEmpty())
                        .as(() -> "sent " + sent.get() + ", acked " + acked.get()).isTrue());
        assertThat(failures).as("send failures").isEmpty();
        assertThat(acked.get()).isEqualTo(total);
    }

    /**
     * Stops sending (if it still is), waits until every event sent so far was acknowledged, asserts that no send
     * failed, and returns how many were sent.
     */
    int finish(Duration timeout) throws InterruptedException {
        stopped = true;
        thread.join(timeout.toMillis());
        Await.until(timeout, "every sent event acknowledged", () -> acked.get() >= sent.get() || !failures.isEmpty(),
                () -> "sent " + sent.get() + ", acked " + acked.get());
        assertThat(failures).as("send failures").isEmpty();
        assertThat(acked.get()).isEqualTo(sent.get());
        return sent.get();
    }

    @Override
    public void close() {
        stopped = true;
        try {
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
