package io.tokvec.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * Runs a step over and over on the calling thread: a warmup phase, then a timed phase, both bounded
 * by wall-clock time (the clock is read every {@link #CHECK_EVERY} steps). Step {@code i} counts up
 * from 0 across both phases, so callers cycle their pre-built inputs with {@code i % n}. The timed
 * phase also notes the thread's CPU time: on a shared machine, steps per CPU second are steadier
 * than steps per wall second.
 */
final class TimedLoop {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** What a timed phase did; {@code cpuSeconds} is NaN where thread CPU time is not available. */
    record Run(long steps, double seconds, double cpuSeconds) {
        double perSecond() {
            return steps / seconds;
        }

        double perCpuSecond() {
            return steps / cpuSeconds;
        }
    }

    @FunctionalInterface
    interface Step {
        void run(long i) throws Exception;
    }

    static final int CHECK_EVERY = 16;

    private TimedLoop() {
    }

    static Run run(double warmupSeconds, double seconds, Step step) throws Exception {
        long i = 0;
        long end = System.nanoTime() + (long) (warmupSeconds * 1e9);
        do {
            for (int k = 0; k < CHECK_EVERY; k++) {
                step.run(i++);
            }
        } while (System.nanoTime() < end);
        long c0 = cpuNanos();
        long t0 = System.nanoTime();
        end = t0 + (long) (seconds * 1e9);
        long first = i;
        long now;
        do {
            for (int k = 0; k < CHECK_EVERY; k++) {
                step.run(i++);
            }
            now = System.nanoTime();
        } while (now < end);
        long c1 = cpuNanos();
        return new Run(i - first, (now - t0) / 1e9, c0 < 0 || c1 < 0 ? Double.NaN : (c1 - c0) / 1e9);
    }

    private static long cpuNanos() {
        return THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : -1;
    }
}
