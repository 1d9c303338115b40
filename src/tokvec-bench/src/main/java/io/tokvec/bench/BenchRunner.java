package io.tokvec.bench;


import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Runs the parts of {@code tokvec bench} in order (core, numpy, topology, naive, e2e + passthrough,
 * swap), prints progress while it goes, then the report. A part that fails is reported and the
 * others still run.
 */
public final class BenchRunner {

    private final BenchSettings settings;
    private final PrintStream out;
    private final BenchReport report = new BenchReport();
    private boolean failed;

    public BenchRunner(BenchSettings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    public BenchReport report() {
        return report;
    }

    /** Runs everything; 0 when every selected part ran, 1 when one failed. */
    public int run() throws Exception {
        out.println("tokvec bench " + settings.describe());
        out.println("machine: " + machine());
        Path work = Files.createTempDirectory("tokvec-bench-");
        Thread cleanup = new Thread(() -> deleteTree(work), "bench-work-dir-cleanup"); // when stopped by a signal
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            Workload workload = new Workload(settings);
            long t0 = System.nanoTime();
            workload.table();
            out.printf(Locale.ROOT, "workload: table built in %.1f s, mean event length %.1f tokens%n",
                    (System.nanoTime() - t0) / 1e9, workload.meanLength());

            CoreBench core = new CoreBench(workload);
            if (settings.runs("core")) {
                part("core", () -> {
                    BenchReport.Row r = core.runIntArrays();
                    report.core = r.eventsPerSecond();
                    report.coreCpu = cpu(r);
                    report.add(r);
                    report.add(core.runLists());
                });
            }
            if (settings.runs("numpy")) {
                part("numpy", () -> numpy(work));
            }
            if (settings.runs("topology")) {
                part("topology", () -> {
                    Path dir = TopologyBench.stateDir(work);
                    BenchReport.Row r;
                    TopologyBench bench = new TopologyBench(workload, dir);
                    try {
                        r = bench.run();
                    } finally {
                        deleteTree(dir);
                    }
                    report.topology = r.eventsPerSecond();
                    report.topologyCpu = cpu(r);
                    report.add(r);
                    report.detail(bench.breakdown);
                });
            }
            if (settings.runs("naive")) {
                part("naive", () -> {
                    BenchReport.Row r = new NaiveBench(workload, Files.createDirectories(work.resolve("naive"))).run();
                    report.naive = r.eventsPerSecond();
                    report.naiveCpu = cpu(r);
                    report.add(r);
                });
            }
            if (settings.runsSideBySide() || !System.getProperty("tokvec.bench.variants", "").isBlank()) {
                part("side by side (" + String.join(", ", settings.parts().stream().filter(BenchSettings.SIDE_BY_SIDE_PARTS::contains)
                        .sorted().toList()) + ")", () -> new SideBySideBench(workload, work).run(report, out));
            }
            if (settings.runs("swap") || settings.runs("large") || settings.runs("latency")) {
                long b0 = System.nanoTime();
                try (BrokerProcess broker = BrokerProcess.start(work.resolve("broker"), work.resolve("logs/broker.log"))) {
                    out.printf(Locale.ROOT, "broker: %s started in %.1f s%n", broker, (System.nanoTime() - b0) / 1e9);
                    Path state = Files.createDirectories(work.resolve("state"));
                    if (settings.runs("swap")) {
                        part("swap", () -> new SwapBench(workload, broker, state).run(report));
                        broker.deleteTopics(List.of(""));
                    }
                    if (settings.runs("latency")) {
                        part("latency", () -> new LatencyBench(workload, broker, state).run(report));
                        broker.deleteTopics(List.of(""));
                    }
                    if (settings.runs("large")) {
                        part("large", () -> new LargeSwapBench(workload, broker, state).run(report));
                    }
                }
            }
            if (settings.runs("delta")) {
                // the delta part runs tokvec in this JVM (its registry read directly) on an in-process broker
                long b0 = System.nanoTime();
                try (io.tokvec.broker.EmbeddedKafkaBroker broker = BenchKafka.broker().dataDir(work.resolve("delta-broker")).build().start()) {
                    out.printf(Locale.ROOT, "broker: embedded KRaft broker on %s started in %.1f s%n", broker.bootstrapServers(),
                            (System.nanoTime() - b0) / 1e9);
                    Path state = Files.createDirectories(work.resolve("delta-state"));
                    part("delta", () -> new DeltaBench(workload, broker, state).run(report));
                }
            }
        } finally {
            deleteTree(work);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }
        report.print(out);
        return failed ? 1 : 0;
    }

    private void numpy(Path work) throws Exception {
        NumpyBench bench = new NumpyBench(settings);
        Optional<NumpyBench.Result> r = bench.run(work);
        if (r.isEmpty()) {
            report.detail("numpy comparison skipped: " + bench.skipReason());
            return;
        }
        report.numpy = r.get().eventsPerSecond();
        report.numpyCpu = r.get().eventsPerCpuSecond();
        report.add(new BenchReport.Row("numpy", r.get().eventsPerSecond(), r.get().eventsPerCpuSecond(), r.get().mbPerSecond(), String.format(Locale.ROOT,
                "reference: W[ids].tobytes() per event, 1 thread (%s, numpy %s)", r.get().python(), r.get().numpyVersion())));
    }

    private static Double cpu(BenchReport.Row r) {
        return Double.isNaN(r.eventsPerCpuSecond()) ? null : r.eventsPerCpuSecond();
    }

    @FunctionalInterface
    private interface Part {
        void run() throws Exception;
    }

    private void part(String name, Part part) {
        out.printf(Locale.ROOT, "running %s ...%n", name);
        out.flush();
        long t0 = System.nanoTime();
        try {
            part.run();
            out.printf(Locale.ROOT, "  %s done in %.1f s%n", name, (System.nanoTime() - t0) / 1e9);
        } catch (Exception | Error e) {
            failed = true;
            out.printf(Locale.ROOT, "  %s FAILED after %.1f s: %s%n", name, (System.nanoTime() - t0) / 1e9, e);
            report.detail(name + " failed: " + e);
            e.printStackTrace();
        }
        out.flush();
    }

    /** nproc, CPU model, JVM, max heap, load average. */
    static String machine() {
        String cpu = "?";
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            cpu = lines.filter(l -> l.startsWith("model name")).findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
        } catch (IOException | RuntimeException ignored) {
            // not Linux
        }
        String load = "?";
        try {
            load = Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException | RuntimeException ignored) {
            // not Linux
        }
        return String.format(Locale.ROOT, "%d cores (%s), %s %s, max heap %.1f GiB, loadavg %s",
                Runtime.getRuntime().availableProcessors(), cpu, System.getProperty("java.vm.name"),
                System.getProperty("java.runtime.version"), Runtime.getRuntime().maxMemory() / (double) (1L << 30), load);
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | RuntimeException ignored) {
            // best effort: a temp dir
        }
    }
}
