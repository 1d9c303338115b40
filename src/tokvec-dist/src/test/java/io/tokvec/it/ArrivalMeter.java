package io.tokvec.it;

import io.tokvec.avro.EnrichedEvent;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads the output on its own thread (so arrivals are timed while the test starts and stops
 * processes) and keeps every record read, and per partition: its last arrival, its first arrival
 * since the restart mark, and its longest pause (between two arrivals) ending after the signal mark.
 */
final class ArrivalMeter implements AutoCloseable {
    private final TopicReader<EnrichedEvent> reader;
    private final Thread thread;
    private final Map<Integer, Long> last = new HashMap<>();
    private final Map<Integer, Long> firstSinceRestart = new HashMap<>();
    private final Map<Integer, Long> longestGapSinceSignal = new HashMap<>();
    private final List<TopicReader.Received<EnrichedEvent>> received = new ArrayList<>();
    private volatile boolean running = true;
    private int seen;
    private long signalMark = Long.MAX_VALUE;
    private long restartMark = Long.MAX_VALUE;

    ArrivalMeter(TopicReader<EnrichedEvent> reader) {
        this.reader = reader;
        this.thread = new Thread(this::run, "arrival-meter");
        thread.start();
    }

    private void run() {
        while (running) {
            List<TopicReader.Received<EnrichedEvent>> all = reader.poll();
            long now = System.nanoTime();
            synchronized (this) {
                for (; seen < all.size(); seen++) {
                    received.add(all.get(seen));
                    int p = all.get(seen).partition();
                    Long before = last.put(p, now);
                    if (now >= restartMark) firstSinceRestart.putIfAbsent(p, now);
                    if (now >= signalMark && before != null) longestGapSinceSignal.merge(p, now - before, Math::max);
                }
            }
        }
    }

    synchronized void markSignal(long nanos) {
        signalMark = nanos;
        restartMark = Long.MAX_VALUE;
        longestGapSinceSignal.clear();
        firstSinceRestart.clear();
    }

    synchronized void markRestart(long nanos) {
        restartMark = nanos;
    }

    synchronized Map<Integer, Long> firstSinceRestart() {
        return new TreeMap<>(firstSinceRestart);
    }

    synchronized Map<Integer, Long> longestGapSinceSignal() {
        return new TreeMap<>(longestGapSinceSignal);
    }

    synchronized long lastArrival(int partition) {
        return last.getOrDefault(partition, Long.MIN_VALUE);
    }

    synchronized int partitions() {
        return last.size();
    }

    /** Every record read so far, in the order read. */
    synchronized List<TopicReader.Received<EnrichedEvent>> records() {
        return new ArrayList<>(received);
    }

    synchronized int count() {
        return seen;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(10_000);
    }
}
