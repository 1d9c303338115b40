package io.tokvec.bench;

import io.tokvec.cli.TokvecCommand;
import io.tokvec.bench.BenchRunner;
import io.tokvec.bench.BenchSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * {@code bench [--quick]}: tokvec's benchmark. Measures, in one run, the enrichment core, the full
 * topology under TopologyTestDriver, the textbook DSL baseline, end to end on an embedded broker
 * against a passthrough copy, and a table swap under load; prints a table and one summary line.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Benchmark tokvec: core, topology, naive DSL baseline; side by side on a broker in its own process, tokvec run "
                        + "against a Python loop and a plain producer (the ceiling); table swap under load.",
                "The last line printed is: bench: core=<ev/s> topology=<ev/s> naive=<ev/s> peer=<ev/s> ceiling=<ev/s> ... "
                        + "e2e_eos=<ev/s> ... swap_gap_ms=<ms> ... delta_live_ms=<ms> ... (one key=value per figure, n/a for parts not run)",
                "It swaps a 1,000,000 x 128 table (512 MB) and needs about 2.2 GiB of heap: if the JVM default is smaller, run e.g. java -Xmx6g -jar target/tokvec.jar bench"})
public final class BenchCommand implements TokvecCommand {

    @Option(names = "--quick", description = "A shorter run (about 2 minutes on 2 cores): shorter phases, fewer events, same table sizes.")
    boolean quick;

    @Option(names = "--parts", split = ",", paramLabel = "PART",
            description = "Parts to run (default all but large): core, numpy, topology, naive; side by side on a broker process: "
                    + "ceiling, peer, e2e, bytes (float16, compression, the compressed ceilings), scale (2 partitions); swap, latency, "
                    + "large (opt-in: swap a 3,000,000 x 300 table under load; ~25 GB of disk, run with -Xmx1g), "
                    + "delta (opt-in: delta versions of a 3,000,000 x 300 table under load; ~15 GB of disk, run with -Xmx1g).")
    String[] parts;

    @Option(names = "--rows", hidden = true, description = "Rows of the main table.")
    Integer rows;

    @Option(names = "--dim", hidden = true, description = "Embedding dimension.")
    Integer dim;

    @Option(names = "--max-len", hidden = true, description = "tokvec.max.len.")
    Integer maxLen;

    @Option(names = "--max-event-len", hidden = true, description = "Longest event (lengths are uniform in 1..this).")
    Integer maxEventLen;

    @Option(names = "--events", hidden = true, description = "Distinct pre-built events.")
    Integer events;

    @Option(names = "--naive-events", hidden = true, description = "Distinct events of the naive part.")
    Integer naiveEvents;

    @Option(names = "--warmup", hidden = true, description = "Warmup seconds of the in-process parts.")
    Double warmup;

    @Option(names = "--seconds", hidden = true, description = "Timed seconds of the in-process parts.")
    Double seconds;

    @Option(names = "--e2e-events", hidden = true, description = "Timed events of each end-to-end round.")
    Integer e2eEvents;

    @Option(names = "--e2e-warmup", hidden = true, description = "Warmup events of each end-to-end round.")
    Integer e2eWarmup;

    @Option(names = "--e2e-rounds", hidden = true, description = "Rounds of each side-by-side pipeline (alternating; the median counts).")
    Integer e2eRounds;

    @Option(names = "--swap-rows", hidden = true, description = "Rows of the swapped-in table.")
    Integer swapRows;

    @Option(names = "--swap-before", hidden = true, description = "Seconds of steady flow measured before the swap.")
    Double swapBefore;

    @Option(names = "--swap-after", hidden = true, description = "Seconds of flow after the swap.")
    Double swapAfter;

    @Option(names = "--partitions", hidden = true, description = "Input/output partitions (and stream threads, up to the cores).")
    Integer partitions;

    @Option(names = "--guarantee", hidden = true, description = "processing.guarantee of the application (at_least_once, exactly_once_v2).")
    String guarantee;

    @Option(names = "--python", hidden = true, description = "Python interpreter for the numpy comparison.")
    String python;

    @Option(names = "--seed", hidden = true, description = "Seed of the table and events.")
    Long seed;

    @Override
    public Integer call() throws Exception {
        BenchSettings s;
        try {
            s = settings();
        } catch (IllegalArgumentException e) {
            System.err.println("bench: " + e.getMessage());
            return 2;
        }
        long max = Runtime.getRuntime().maxMemory();
        if (max < s.heapNeeded()) {
            System.err.printf(Locale.ROOT, "bench: this run needs about %.1f GiB of heap but the JVM may use only %.1f GiB "
                            + "(the swap holds the old and the new table while it builds); run e.g.%n"
                            + "  java -Xmx%dg -jar target/tokvec.jar bench%s%n",
                    s.heapNeeded() / (double) (1L << 30), max / (double) (1L << 30),
                    Math.max(2, (s.heapNeeded() >> 30) + 2), quick ? " --quick" : "");
            return 2;
        }
        return new BenchRunner(s, System.out).run();
    }

    BenchSettings settings() {
        BenchSettings d = quick ? BenchSettings.quickPreset() : BenchSettings.fullPreset();
        Set<String> p = parts == null ? d.parts()
                : new LinkedHashSet<>(Arrays.stream(parts).map(x -> x.trim().toLowerCase(Locale.ROOT)).toList());
        return new BenchSettings(d.quick(), or(rows, d.rows()), or(dim, d.dim()), or(maxLen, d.maxLen()),
                or(maxEventLen, d.maxEventLen()), or(events, d.events()), seed != null ? seed : d.seed(),
                or(warmup, d.warmupSeconds()), or(seconds, d.seconds()), or(naiveEvents, d.naiveEvents()),
                or(e2eWarmup, d.e2eWarmup()), or(e2eEvents, d.e2eEvents()), or(e2eRounds, d.e2eRounds()), or(swapRows, d.swapRows()),
                or(swapBefore, d.swapBeforeSeconds()), or(swapAfter, d.swapAfterSeconds()), or(partitions, d.partitions()),
                guarantee != null ? guarantee : d.guarantee(), p, python != null ? python : d.python());
    }

    private static <T> T or(T v, T dflt) {
        return v != null ? v : dflt;
    }
}
