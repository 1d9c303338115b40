package io.tokvec.bench;

import java.util.Locale;
import java.util.Set;

/**
 * Everything one {@code bench} run needs: the workload shape, how long each part runs, and which
 * parts run. {@link #quickPreset()} and {@link #fullPreset()} are the two documented presets; the CLI's
 * advanced options override single fields (tests use tiny workloads).
 *
 * @param rows          rows of the main table (default 100,000)
 * @param dim           embedding dimension (default 128)
 * @param maxLen        tokvec.max.len (default 128)
 * @param maxEventLen   event lengths are uniform in {@code [1, maxEventLen]} (default 256)
 * @param events        distinct pre-built events, cycled by the in-process parts
 * @param seed          seed of the table and the events
 * @param warmupSeconds warmup of each in-process part (core, topology, naive)
 * @param seconds       timed phase of each in-process part
 * @param naiveEvents   distinct events the naive topology cycles (it keeps one aggregate per event id)
 * @param e2eWarmup     events of each end-to-end round before the timed ones
 * @param e2eEvents     timed events of each end-to-end round (side by side: every pipeline, each round)
 * @param e2eRounds     rounds of each, alternating
 * @param swapRows      rows of the table swapped in while events flow
 * @param swapBeforeSeconds steady flow measured before the swap table is published
 * @param swapAfterSeconds  flow kept up after the swap
 * @param partitions    partitions of the input and output topics (one stream thread per partition)
 * @param guarantee     processing.guarantee of the tokvec application
 * @param parts         which parts run: core, numpy, topology, naive; side by side on a broker process (see
 *                      {@link SideBySideBench}): ceiling, peer, e2e, bytes (float16, compression), scale (2 partitions);
 *                      on the in-process broker: swap, latency (end-to-end latency at fixed rates, both guarantees),
 *                      large and delta (opt-in)
 * @param python        python interpreter for the numpy comparison, or null to look for one
 */
public record BenchSettings(boolean quick, int rows, int dim, int maxLen, int maxEventLen, int events, long seed,
                            double warmupSeconds, double seconds, int naiveEvents, int e2eWarmup, int e2eEvents, int e2eRounds,
                            int swapRows, double swapBeforeSeconds, double swapAfterSeconds, int partitions,
                            String guarantee, Set<String> parts, String python) {

    /** The parts a run may name; {@code large} runs only when named ({@code --parts large}). */
    public static final Set<String> ALL_PARTS = Set.of("core", "numpy", "topology", "naive", "ceiling", "peer", "e2e", "bytes",
            "scale", "swap", "latency", "large", "delta");
    /** The parts a run without {@code --parts} runs. */
    public static final Set<String> DEFAULT_PARTS = Set.of("core", "numpy", "topology", "naive", "ceiling", "peer", "e2e", "bytes",
            "scale", "swap", "latency");
    /** The parts that run side by side on a broker in its own process ({@link SideBySideBench}). */
    public static final Set<String> SIDE_BY_SIDE_PARTS = Set.of("ceiling", "peer", "e2e", "bytes", "scale");

    public BenchSettings {
        parts = Set.copyOf(parts);
        for (String p : parts) {
            if (!ALL_PARTS.contains(p)) {
                throw new IllegalArgumentException("unknown bench part '" + p + "'; parts are " + ALL_PARTS);
            }
        }
        if (rows < 3 || dim < 1 || maxLen < 1 || maxEventLen < 1 || events < 1 || naiveEvents < 1
                || e2eEvents < 1 || e2eWarmup < 0 || e2eRounds < 1 || swapRows < 3 || partitions < 1) {
            throw new IllegalArgumentException("bench sizes must be positive (rows and swap rows >= 3)");
        }
        if (seconds <= 0 || warmupSeconds < 0 || swapBeforeSeconds <= 0 || swapAfterSeconds < 0) {
            throw new IllegalArgumentException("bench durations must be positive");
        }
    }

    /** {@code bench --quick}: shorter phases and fewer events; the swap uses the full 1,000,000-row table too. */
    public static BenchSettings quickPreset() {
        return new BenchSettings(true, 100_000, 128, 128, 256, 10_000, 42L, 2, 4, 1_000, 3_000, 12_000, 2,
                1_000_000, 4, 3, 1, "at_least_once", DEFAULT_PARTS, null);
    }

    /** {@code bench}: longer phases, more events, and the 1,000,000 x 128 swap table. */
    public static BenchSettings fullPreset() {
        return new BenchSettings(false, 100_000, 128, 128, 256, 20_000, 42L, 5, 10, 2_000, 10_000, 30_000, 3,
                1_000_000, 8, 4, 1, "at_least_once", DEFAULT_PARTS, null);
    }

    /** Rows of the {@code large} part's tables (system property {@code tokvec.bench.large.rows} for a smaller trial). */
    public int largeRows() {
        return Integer.getInteger("tokvec.bench.large.rows", 3_000_000);
    }

    /** Dimension of the {@code large} part's tables. */
    public int largeDim() {
        return 300;
    }

    /** Rows of the {@code delta} part's table (system property {@code tokvec.bench.delta.rows}; default 3,000,000). */
    public int deltaTableRows() {
        return Integer.getInteger("tokvec.bench.delta.rows", 3_000_000);
    }

    /** Dimension of the {@code delta} part's table ({@code tokvec.bench.delta.dim}; default 300). */
    public int deltaDim() {
        return Integer.getInteger("tokvec.bench.delta.dim", 300);
    }

    /** Seconds of each sustained phase of the {@code delta} part ({@code tokvec.bench.delta.seconds}; default 60). */
    public double deltaSeconds() {
        return Integer.getInteger("tokvec.bench.delta.seconds", 60);
    }

    /** Events per second offered during the {@code delta} part ({@code tokvec.bench.delta.rate}; default 500). */
    public int deltaEventsPerSecond() {
        return Integer.getInteger("tokvec.bench.delta.rate", 500);
    }

    /** Rows changed per second by the sustained deltas ({@code tokvec.bench.delta.rows.per.second}; default 1,700: 100,000 a minute). */
    public int deltaRowsPerSecond() {
        return Integer.getInteger("tokvec.bench.delta.rows.per.second", 1_700);
    }

    public boolean runs(String part) {
        return parts.contains(part);
    }

    /** Whether any side-by-side part runs. */
    public boolean runsSideBySide() {
        return parts.stream().anyMatch(SIDE_BY_SIDE_PARTS::contains);
    }

    /** Bytes of the main table. */
    public long tableBytes() {
        return (long) rows * dim * Float.BYTES;
    }

    /** Bytes of the swap table. */
    public long swapTableBytes() {
        return (long) swapRows * dim * Float.BYTES;
    }

    /** Bytes of one event's embeddings ({@code max_len * dim * 4}). */
    public long embeddingBytes() {
        return (long) maxLen * dim * Float.BYTES;
    }

    /**
     * Heap this run needs, roughly: the swap holds the old and the new table plus the build's
     * garbage, the other parts a few copies of the main table (bench, TopologyTestDriver, app).
     */
    public long heapNeeded() {
        long need = 512L << 20;
        need += 4 * tableBytes();
        if (runs("swap")) {
            need += 3 * swapTableBytes();
        }
        return need;
    }

    public String describe() {
        return String.format(Locale.ROOT, "%s: table %,d x %d float32 (%.1f MiB), max_len %d, event lengths 1..%d, "
                        + "token ids in [2, %,d), %,d distinct events, seed %d",
                quick ? "quick" : "full", rows, dim, tableBytes() / 1048576.0, maxLen, maxEventLen, rows, events, seed);
    }
}
