package io.tokvec.core;

import java.util.concurrent.TimeUnit;

/**
 * The clock of tokvec's bounded waits (the table's catch-up wait, the schema registry's retry
 * backoff): reads elapsed time and waits on a monitor. Production uses {@link #SYSTEM}; tests pass
 * a manual one, so that a wait of seconds takes no time and can be observed.
 */
public interface Ticker {

    /** The system's: {@link System#nanoTime()} and {@link Object#wait(long, int)}. */
    Ticker SYSTEM = new Ticker() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public void timedWait(Object monitor, long nanos) throws InterruptedException {
            TimeUnit.NANOSECONDS.timedWait(monitor, nanos);
        }

        @Override
        public String toString() {
            return "Ticker.SYSTEM";
        }
    };

    /** A monotonic time in nanoseconds, only for differences (as {@link System#nanoTime()}). */
    long nanoTime();

    /**
     * Waits on {@code monitor}, which the caller holds, until it is notified or {@code nanos} pass
     * (or spuriously, as {@link Object#wait()}): callers re-check their condition and the time left.
     */
    void timedWait(Object monitor, long nanos) throws InterruptedException;
}
