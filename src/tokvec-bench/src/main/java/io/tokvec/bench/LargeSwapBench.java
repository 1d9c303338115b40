package io.tokvec.bench;

import io.tokvec.config.TokvecConfig;
import io.tokvec.kafka.Topics;
import io.tokvec.model.TableRegistry;
import io.tokvec.serde.MockSchemaRegistry;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.app.TokvecApp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The {@code large} part (opt-in: {@code --parts large}): a table of the size of Google's word2vec
 * vectors, 3,000,000 x 300 float32 (3.6 GB), published (timed: publish MB/s, the records spooled to
 * a file first so that generating them is not timed), served, then swapped to a second table of the
 * same size while events flow end to end. Reported: the longest gap between two output records in
 * the swap window (LogAppendTime), and the peak resident set size of the JVM (VmRSS, sampled every
 * 20 ms; broker, clients and bench included) in the window, minus the RSS before the first table
 * was built (the fixed overhead: heap, broker, RocksDB), over the table's bytes.
 */
final class LargeSwapBench {

    private static final long MAX_AHEAD = 500;

    private final Workload workload;
    private final BrokerProcess broker;
    private final Path stateDir;

    LargeSwapBench(Workload workload, BrokerProcess broker, Path stateDir) {
        this.workload = workload;
        this.broker = broker;
        this.stateDir = stateDir;
    }

    void run(BenchReport report) throws Exception {
        BenchSettings s = workload.settings();
        int rows = s.largeRows();
        int dim = s.largeDim();
        String scope = "tokvec-bench-large-" + System.nanoTime();
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(scope);
        TokvecConfig cfg = BenchKafka.appConfig(broker, "large", scope, stateDir, s);
        BenchKafka.createTopics(broker, cfg);
        Topics.ensureAll(cfg);
        try {
            StreamedTable v1 = new StreamedTable(Workload.TABLE, 1, rows, dim, s.seed() + 11);
            long tableBytes = v1.bytes();
            Path spool1 = SwapBench.spool(v1, cfg, registry, stateDir.resolve("large-v1.spool"));
            long p0 = System.nanoTime();
            SwapBench.publish(cfg, spool1, v1.chunkCount() + 1);
            double publishSeconds = (System.nanoTime() - p0) / 1e9;
            Files.delete(spool1);
            StreamedTable v2 = new StreamedTable(Workload.TABLE, 2, rows, dim, s.seed() + 12);
            Path spool2 = SwapBench.spool(v2, cfg, registry, stateDir.resolve("large-v2.spool"));

            int n = workload.size();
            byte[][] keys = workload.keys(n);
            byte[][] values = workload.serialized(registry, cfg.inputTopic(), n);
            AtomicLong swappedAt = new AtomicLong(-1);
            AtomicReference<TableRegistry.Swap> swap = new AtomicReference<>();
            long rssBase = rss();
            long rssActive;
            long[] window;
            long firstBuildMs;
            OutputRecorder out = new OutputRecorder(BenchKafka.outputConsumerProps(broker, "bench-large-reader", s),
                    cfg.outputTopic(), true);
            try (TokvecApp app = new TokvecApp(cfg)) {
                app.registry().onSwap(sw -> {
                    if (sw.version() == 2) {
                        swappedAt.set(System.currentTimeMillis());
                        swap.set(sw);
                    }
                });
                long a0 = System.nanoTime();
                app.start();
                SwapBench.awaitVersion(app, 1, Duration.ofMinutes(20));
                firstBuildMs = (System.nanoTime() - a0) / 1_000_000;
                try (EventFeeder feeder = new EventFeeder(BenchKafka.producerProps(broker, "bench-large-feeder"),
                        cfg.inputTopic(), keys, values, MAX_AHEAD, out::count)) {
                    Thread.sleep((long) (s.warmupSeconds() * 1000));
                    rssActive = rss();
                    try (RssMonitor rssMonitor = new RssMonitor(20)) {
                        Thread.sleep((long) (s.swapBeforeSeconds() * 1000));
                        long tPublish = System.currentTimeMillis();
                        SwapBench.publish(cfg, spool2, v2.chunkCount() + 1);
                        SwapBench.awaitVersion(app, 2, Duration.ofMinutes(20));
                        Thread.sleep((long) (s.swapAfterSeconds() * 1000));
                        long tEnd = System.currentTimeMillis();
                        long winEnd = Math.min(swappedAt.get() + SwapBench.AFTER_SWAP_MS, tEnd);
                        window = new long[] {tPublish, winEnd, rssMonitor.peak(tPublish, winEnd), tEnd};
                    }
                    if (feeder.failure() != null) {
                        throw new IllegalStateException("event feeder failed", feeder.failure());
                    }
                }
                if (app.metrics().deadLetterCount() != 0) {
                    throw new IllegalStateException("large: " + app.metrics().deadLetterCount() + " events were dead-lettered");
                }
            } finally {
                out.close();
                Files.deleteIfExists(spool2);
            }
            long[] stamps = out.timestamps();
            long gap = SwapAnalysis.longestGapAt(stamps, window[0], window[1])[1];
            long gapBefore = SwapAnalysis.longestGap(stamps, window[0] - (long) (s.swapBeforeSeconds() * 1000), window[0]);
            double rateBefore = SwapAnalysis.rate(stamps, window[0] - (long) (s.swapBeforeSeconds() * 1000), window[0]);
            double rateWindow = SwapAnalysis.rate(stamps, window[0], window[1]);
            long peak = window[2];
            double gb = 1e9;
            report.largeGapMs = (double) gap;
            report.largeRssRatio = (peak - rssBase) / (double) tableBytes;
            report.publishMbS = tableBytes / 1e6 / publishSeconds;
            report.add(new BenchReport.Row("large", rateWindow, Double.NaN, rateWindow * s.maxLen() * dim * 4 / 1e6,
                    String.format(Locale.ROOT, "swap %,d x %d (%.1f GB) under load: longest output gap %d ms; peak RSS - fixed = %.2fx "
                            + "the table; publish %.0f MB/s", rows, dim, tableBytes / gb, gap, report.largeRssRatio, report.publishMbS)));
            report.detail(String.format(Locale.ROOT, "large: %,d x %d float32 = %.2f GB, %d chunks; publish (records spooled "
                            + "beforehand) %.1f s = %.0f MB/s; start -> v1 active (global restore + build) %.1f s",
                    rows, dim, tableBytes / gb, v1.chunkCount(), publishSeconds, report.publishMbS, firstBuildMs / 1000.0));
            report.detail(String.format(Locale.ROOT, "large swap: commit -> active: build+verify %d ms; longest output gap %d ms "
                            + "in the window (%d ms in the %.0f s before); outputs/s before %,.0f, in the window %,.0f",
                    swap.get() == null ? -1 : swap.get().buildMillis(), gap, gapBefore, s.swapBeforeSeconds(), rateBefore, rateWindow));
            report.detail(String.format(Locale.ROOT, "large RSS (VmRSS of the one JVM: broker, clients, bench, heap max %.1f GB): "
                            + "%.2f GB before the first table (fixed overhead), %.2f GB serving v1 (%.2fx the table above fixed), "
                            + "peak %.2f GB in the swap window = fixed + %.2fx the table (%.2fx the table in all)",
                    Runtime.getRuntime().maxMemory() / gb, rssBase / gb, rssActive / gb, (rssActive - rssBase) / (double) tableBytes,
                    peak / gb, report.largeRssRatio, peak / (double) tableBytes));
        } finally {
            MockSchemaRegistry.dropScope(scope);
        }
    }

    /** VmRSS of this process in bytes, or -1 where /proc is not there. */
    static long rss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** Samples {@link #rss()} on a daemon thread. */
    static final class RssMonitor implements AutoCloseable {
        private final java.util.List<long[]> samples = new java.util.ArrayList<>();
        private final Thread thread;
        private volatile boolean running = true;

        RssMonitor(long periodMillis) {
            thread = new Thread(() -> {
                while (running) {
                    long[] p = {System.currentTimeMillis(), rss()};
                    synchronized (samples) {
                        samples.add(p);
                    }
                    try {
                        Thread.sleep(periodMillis);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "bench-rss");
            thread.setDaemon(true);
            thread.start();
        }

        long peak(long from, long to) {
            synchronized (samples) {
                return samples.stream().filter(p -> p[0] >= from && p[0] <= to).mapToLong(p -> p[1]).max().orElse(-1);
            }
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.interrupt();
            thread.join(1000);
        }
    }
}
