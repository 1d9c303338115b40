package io.tokvec.testutil;

import io.tokvec.core.Ticker;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * A {@link Ticker} for tests: time moves only when a test advances it or when code waits. A wait
 * returns at once, having advanced the time by the whole wait (nothing notified it: it timed out),
 * unless the test scheduled something to happen during it ({@link #duringNextWait}); then the time
 * advances by that delay (at most the wait) and the action runs, on the waiting thread with the
 * monitor held, as the thread that would have notified it. Every wait asked for is recorded, so a
 * test sees that a wait ran, and how long it was allowed to be.
 */
public final class ManualTicker implements Ticker {

    private record Scheduled(long afterNanos, Runnable action) {
    }

    private long now = 1_000_000_000L;
    private final List<Duration> waits = new ArrayList<>();
    private final Deque<Scheduled> scheduled = new ArrayDeque<>();

    @Override
    public synchronized long nanoTime() {
        return now;
    }

    @Override
    public void timedWait(Object monitor, long nanos) {
        if (!Thread.holdsLock(monitor)) {
            throw new IllegalMonitorStateException("waiting on a monitor the caller does not hold");
        }
        Scheduled next;
        synchronized (this) {
            waits.add(Duration.ofNanos(nanos));
            next = scheduled.poll();
            now += next == null ? nanos : Math.min(next.afterNanos, nanos);
        }
        if (next != null) {
            next.action.run();
        }
    }

    /** Moves the time forward. */
    public synchronized void advance(Duration d) {
        now += d.toNanos();
    }

    /** Runs {@code action} {@code after} into the next wait (which it ends, as a notification would). */
    public synchronized ManualTicker duringNextWait(Duration after, Runnable action) {
        scheduled.add(new Scheduled(after.toNanos(), action));
        return this;
    }

    /** Every wait asked for so far, in order, with the time it was allowed to last. */
    public synchronized List<Duration> waits() {
        return List.copyOf(waits);
    }

    /** The time passed since this ticker was made. */
    public synchronized Duration elapsed() {
        return Duration.ofNanos(now - 1_000_000_000L);
    }
}
