package io.tokvec.bench;

import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Polls a counter (the application's enriched-events count) about every millisecond from a daemon
 * thread and notes the wall-clock time of every change: the gaps between changes are the
 * application's own processing gaps, whatever the broker does with the records afterwards.
 */
final class ProgressSampler implements AutoCloseable {

    private final Thread thread;
    private volatile boolean running = true;
    private long[] changes = new long[1 << 16];
    private int count;

    ProgressSampler(LongSupplier counter) {
        thread = new Thread(() -> {
            long last = counter.getAsLong();
            while (running) {
                LockSupport.parkNanos(1_000_000);
                long now = counter.getAsLong();
                if (now != last) {
                    last = now;
                    note(System.currentTimeMillis());
                }
            }
        }, "bench-progress-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    private synchronized void note(long t) {
        if (count == changes.length) {
            changes = Arrays.copyOf(changes, count * 2);
        }
        changes[count++] = t;
    }

    /** Times (ms) at which the counter was seen to change. */
    synchronized long[] changes() {
        return Arrays.copyOf(changes, count);
    }

    @Override
    public void close() {
        running = false;
        Joins.join(thread, 1000);
    }
}
