package io.tokvec.streams;

import io.tokvec.core.EnrichResult;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one application instance, shared by its processing threads (LongAdder: no contention
 * on the hot path). Registered as Kafka Streams metrics by {@link TokvecTopology}'s processors.
 */
public final class TokvecMetrics {

    private final LongAdder enriched = new LongAdder();
    private final LongAdder tokens = new LongAdder();
    private final LongAdder oovTokens = new LongAdder();
    private final LongAdder truncated = new LongAdder();
    private final LongAdder latencyNanos = new LongAdder();
    private final Map<DeadLetterReason, LongAdder> deadLetters = new EnumMap<>(DeadLetterReason.class);

    public TokvecMetrics() {
        for (DeadLetterReason r : DeadLetterReason.values()) {
            deadLetters.put(r, new LongAdder());
        }
    }

    void enriched(EnrichResult r, long nanos) {
        enriched.increment();
        tokens.add(r.length());
        oovTokens.add(r.oovCount());
        if (r.truncated()) truncated.increment();
        latencyNanos.add(nanos);
    }

    void deadLetter(DeadLetterReason reason) {
        deadLetters.get(reason).increment();
    }

    public long enrichedCount() { return enriched.sum(); }
    public long tokenCount() { return tokens.sum(); }
    public long oovTokenCount() { return oovTokens.sum(); }
    public long truncatedCount() { return truncated.sum(); }
    public long deadLetterCount(DeadLetterReason reason) { return deadLetters.get(reason).sum(); }

    public long deadLetterCount() {
        long n = 0;
        for (LongAdder a : deadLetters.values()) n += a.sum();
        return n;
    }

    /** Share of kept tokens that were OOV (0 when none were kept). */
    public double oovRate() {
        long t = tokens.sum();
        return t == 0 ? 0 : (double) oovTokens.sum() / t;
    }

    /** Share of enriched events that were truncated. */
    public double truncationRate() {
        long e = enriched.sum();
        return e == 0 ? 0 : (double) truncated.sum() / e;
    }

    /** Mean time to decode, enrich and forward one event, in microseconds. */
    public double meanLatencyMicros() {
        long e = enriched.sum();
        return e == 0 ? 0 : latencyNanos.sum() / 1000.0 / e;
    }
}
