package io.tokvec.bench;

import java.util.Arrays;
import java.util.List;

/**
 * Pure arithmetic over what the swap part recorded: output times, and the pauses and heap of the
 * application's JVM ({@link GcLog}).
 */
final class SwapAnalysis {

    private SwapAnalysis() {
    }

    /**
     * The longest time between two consecutive outputs, over the outputs at times in {@code (from, to]}
     * and the last one at or before {@code from} (so a stall that starts before the window and ends
     * in it counts), with {@code to} itself as a last point if nothing arrived since (a stall still
     * going on at the end counts too). Times in ms, any order.
     */
    static long longestGap(long[] times, long from, long to) {
        return longestGapAt(times, from, to)[1];
    }

    /** {@link #longestGap} as {@code {time the gap ended, gap}}. */
    static long[] longestGapAt(long[] times, long from, long to) {
        long[] t = times.clone();
        Arrays.sort(t);
        long prev = Long.MIN_VALUE;
        long gap = 0;
        long end = from;
        for (long x : t) {
            if (x <= from) {
                prev = x;
                continue;
            }
            if (x > to) {
                break;
            }
            if (prev != Long.MIN_VALUE && x - prev > gap) {
                gap = x - prev;
                end = x;
            }
            prev = x;
        }
        if (prev != Long.MIN_VALUE && to - prev > gap) {
            gap = to - prev;
            end = to;
        }
        return new long[] {end, gap};
    }

    /** Outputs per second at times in {@code [from, to)}. */
    static double rate(long[] times, long from, long to) {
        if (to <= from) {
            return 0;
        }
        long n = 0;
        for (long x : times) {
            if (x >= from && x < to) {
                n++;
            }
        }
        return n * 1000.0 / (to - from);
    }

    /** Largest heap-after-collection of collections that ended in {@code [from, to]}, or -1. */
    static long peakAfterGc(List<GcLog.Pause> pauses, long from, long to) {
        long peak = -1;
        for (GcLog.Pause g : pauses) {
            if (!g.safepoint() && g.endMs() >= from && g.endMs() <= to) {
                peak = Math.max(peak, g.heapAfter());
            }
        }
        return peak;
    }

    /** Longest safepoint (every stop of all Java threads) that ended in {@code [from, to]}, or 0. */
    static double longestPause(List<GcLog.Pause> pauses, long from, long to) {
        double longest = 0;
        for (GcLog.Pause g : pauses) {
            if (g.safepoint() && g.endMs() >= from && g.endMs() <= to) {
                longest = Math.max(longest, g.millis());
            }
        }
        return longest;
    }

    /** Heap after the last collection that ended before {@code t}, or -1. */
    static long lastAfterGc(List<GcLog.Pause> pauses, long t) {
        long used = -1;
        long at = Long.MIN_VALUE;
        for (GcLog.Pause g : pauses) {
            if (!g.safepoint() && g.endMs() < t && g.endMs() >= at) {
                at = g.endMs();
                used = g.heapAfter();
            }
        }
        return used;
    }
}
