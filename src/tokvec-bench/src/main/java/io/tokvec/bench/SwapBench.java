package io.tokvec.bench;

import io.tokvec.avro.ModelRecord;
import io.tokvec.broker.EmbeddedKafkaBroker;
import io.tokvec.kafka.ModelPublisher;
import io.tokvec.kafka.Topics;
import io.tokvec.model.ModelChunker;
import io.tokvec.model.TableRegistry;
import io.tokvec.serde.ConfluentAvroSerializer;
import io.tokvec.serde.MockSchemaRegistry;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.app.TokvecApp;
import io.tokvec.config.TokvecConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A table swap under load, on the embedded broker. The tokvec application runs with the main table
 * (v1, published with {@link ModelPublisher}) while a feeder keeps events flowing; after a steady
 * period, a {@code swapRows x dim} table (v2) is published to the model topic (chunks, then the
 * commit) and the application builds, verifies and swaps to it while it keeps enriching. The v2
 * records are generated chunk by chunk ({@link StreamedTable}) and spooled to a file before the
 * measured periods, then sent with ModelPublisher's producer settings: the bench never holds the
 * 512 MB table itself, so the heap measured is the application's (plus the broker's and the
 * clients', which share the JVM), and generating gaussians does not compete for the CPU.
 *
 * <ul>
 *   <li>gap: the longest time between two consecutive output records in the swap window, from the
 *       records' own timestamps (the output topic uses LogAppendTime: the broker's clock when the
 *       batch was appended, so consumer polling does not add batching of its own; ms resolution).
 *       The window runs from the first chunk sent to one second after the pointer flip.</li>
 *   <li>dip: outputs per second in the window against the steady period before it.</li>
 *   <li>heap: sampled every 2 ms (heap used, garbage included) and after every collection (live
 *       then); both against the swap table's bytes, with the baseline before the publish.</li>
 * </ul>
 */
final class SwapBench {

    static final long AFTER_SWAP_MS = 1000;
    private static final long MAX_AHEAD = 2000;

    private final Workload workload;
    private final EmbeddedKafkaBroker broker;
    private final Path stateDir;

    SwapBench(Workload workload, EmbeddedKafkaBroker broker, Path stateDir) {
        this.workload = workload;
        this.broker = broker;
        this.stateDir = stateDir;
    }

    void run(BenchReport report) throws Exception {
        BenchSettings s = workload.settings();
        String scope = "tokvec-bench-swap-" + System.nanoTime();
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(scope);
        TokvecConfig cfg = BenchKafka.appConfig(broker, "swap", scope, stateDir, s);
        BenchKafka.createTopics(broker, cfg);
        Topics.ensureAll(cfg);
        try {
            try (ModelPublisher publisher = new ModelPublisher(cfg, registry)) {
                publisher.publish(workload.table(), ModelChunker.DEFAULT_CHUNK_BYTES, Map.of("source", "tokvec bench"), null);
            }
            int n = workload.size();
            byte[][] keys = workload.keys(n);
            byte[][] values = workload.serialized(registry, cfg.inputTopic(), n);
            long swapVersion = workload.table().version() + 1;
            AtomicLong swappedAt = new AtomicLong(-1);
            AtomicReference<TableRegistry.Swap> swap = new AtomicReference<>();

            StreamedTable table = new StreamedTable(Workload.TABLE, swapVersion, s.swapRows(), s.dim(), s.seed() + 1);
            Path spooled = spool(table, cfg, registry, stateDir.resolve("swap-table.spool"));
            OutputRecorder out = new OutputRecorder(BenchKafka.outputConsumerProps(broker, "bench-swap-reader", s),
                    cfg.outputTopic(), true);
            Measured m;
            try (TokvecApp app = new TokvecApp(cfg)) {
                app.registry().onSwap(sw -> {
                    if (sw.version() == swapVersion) {
                        swappedAt.set(System.currentTimeMillis());
                        swap.set(sw);
                    }
                });
                app.start();
                awaitVersion(app, workload.table().version(), Duration.ofMinutes(2));
                try (EventFeeder feeder = new EventFeeder(BenchKafka.producerProps(broker, "bench-swap-feeder"),
                        cfg.inputTopic(), keys, values, MAX_AHEAD, out::count)) {
                    Thread.sleep((long) (s.warmupSeconds() * 1000));
                    System.gc(); // a settled heap before the measured periods (not inside them)
                    try (HeapMonitor heap = new HeapMonitor(2);
                         ProgressSampler progress = new ProgressSampler(() -> app.metrics().enrichedCount())) {
                        Thread.sleep((long) (s.swapBeforeSeconds() * 1000));
                        long tPublish = System.currentTimeMillis();
                        publish(cfg, spooled, table.chunkCount() + 1);
                        long tCommitted = System.currentTimeMillis();
                        awaitVersion(app, swapVersion, Duration.ofMinutes(10));
                        Thread.sleep((long) (s.swapAfterSeconds() * 1000));
                        long tEnd = System.currentTimeMillis();
                        m = new Measured(tPublish, tCommitted, swappedAt.get(), tEnd, swap.get(), heap.samples(), heap.gcs(),
                                progress.changes());
                    }
                    if (feeder.failure() != null) {
                        throw new IllegalStateException("event feeder failed", feeder.failure());
                    }
                }
                if (app.metrics().deadLetterCount() != 0) {
                    throw new IllegalStateException("swap: " + app.metrics().deadLetterCount() + " events were dead-lettered");
                }
            } finally {
                out.close();
                Files.deleteIfExists(spooled);
            }
            analyse(report, s, out, m, table);
        } finally {
            MockSchemaRegistry.dropScope(scope);
        }
    }

    /** What happened during the swap: wall-clock times (ms), the registry's swap, heap and progress observations. */
    private record Measured(long tPublish, long tCommitted, long tSwap, long tEnd, TableRegistry.Swap swap,
                            List<HeapMonitor.Point> samples, List<HeapMonitor.Gc> gcs, long[] progress) {
    }

    private static void analyse(BenchReport report, BenchSettings s, OutputRecorder out, Measured m, StreamedTable table) {
        long tPublish = m.tPublish();
        long tCommitted = m.tCommitted();
        long tSwap = m.tSwap();
        long tEnd = m.tEnd();
        long[] progress = m.progress();
        int chunks = table.chunkCount();
        long tableBytes = table.bytes();
        TableRegistry.Swap swap = m.swap();
        long[] stamps = out.timestamps();
        long[] received = out.receivedMillis();
        long winEnd = Math.min(tSwap + AFTER_SWAP_MS, tEnd);
        long beforeStart = tPublish - (long) (s.swapBeforeSeconds() * 1000);
        long[] gapAt = SwapAnalysis.longestGapAt(stamps, tPublish, winEnd);
        long gap = gapAt[1];
        long gapBefore = SwapAnalysis.longestGap(stamps, beforeStart, tPublish);
        long gapReceived = SwapAnalysis.longestGap(received, tPublish, winEnd);
        long[] appGapAt = SwapAnalysis.longestGapAt(progress, tPublish, winEnd);
        long appGapBefore = SwapAnalysis.longestGap(progress, beforeStart, tPublish);
        double rateBefore = SwapAnalysis.rate(stamps, beforeStart, tPublish);
        double rateWindow = SwapAnalysis.rate(stamps, tPublish, winEnd);
        double rateAfter = SwapAnalysis.rate(stamps, winEnd, tEnd);

        List<HeapMonitor.Point> samples = m.samples();
        List<HeapMonitor.Gc> gcs = m.gcs();
        long peakSampled = SwapAnalysis.peakSample(samples, tPublish, winEnd);
        long peakOld = SwapAnalysis.peakOldSample(samples, tPublish, winEnd);
        long baseline = SwapAnalysis.lastAfterGc(gcs, tPublish);
        if (baseline < 0) { // no collection in the steady period: its lowest sample
            baseline = samples.stream().filter(p -> p.timeMs() < tPublish).mapToLong(HeapMonitor.Point::usedBytes).min().orElse(-1);
        }
        long peakLive = SwapAnalysis.peakAfterGc(gcs, tPublish, winEnd);
        if (peakLive < 0) { // no collection in the window: the old generation's sampled peak bounds what was live
            peakLive = peakOld;
        }
        long pause = SwapAnalysis.longestPause(gcs, tPublish, winEnd);
        long pauseBefore = SwapAnalysis.longestPause(gcs, beforeStart, tPublish);
        double mib = 1048576.0;

        report.swapGapMs = (double) gap;
        report.heapPeakRatio = peakLive / (double) tableBytes;
        report.add(new BenchReport.Row("swap", rateWindow, Double.NaN, rateWindow * s.embeddingBytes() / 1e6, String.format(Locale.ROOT,
                "outputs/s in the swap window (%.0f%% of before); longest output gap %d ms; live heap peak %.2fx the table",
                100 * rateWindow / rateBefore, gap, report.heapPeakRatio)));
        report.detail(String.format(Locale.ROOT, "swap table: %,d x %d float32 = %.0f MiB (%s), %d chunks; published in %.1f s; "
                        + "commit -> active in %d ms (registry build+verify %d ms)",
                s.swapRows(), s.dim(), tableBytes / mib, s.swapRows() == 1_000_000 ? "the full size" : "smaller than the full 1,000,000 rows",
                chunks, (tCommitted - tPublish) / 1000.0, tSwap - tCommitted, swap == null ? -1 : swap.buildMillis()));
        report.detail(String.format(Locale.ROOT, "swap window: publish start -> flip + %d ms = %.1f s; outputs/s before %,.0f, "
                        + "in window %,.0f (%.0f%%), after %,.0f",
                AFTER_SWAP_MS, (winEnd - tPublish) / 1000.0, rateBefore, rateWindow, 100 * rateWindow / rateBefore, rateAfter));
        report.detail(String.format(Locale.ROOT, "swap gaps (LogAppendTime%s): longest %d ms in the window, %d ms in the %.0f s "
                        + "before; by consumer receive time %d ms; longest GC pause %d ms in the window, %d ms before",
                out.allLogAppendTime() ? "" : ", NOT all records carried it", gap, gapBefore, s.swapBeforeSeconds(), gapReceived,
                pause, pauseBefore));
        report.detail(String.format(Locale.ROOT, "swap, application side (enriched counter polled every ms): longest "
                        + "processing gap %d ms in the window (at %d..%d ms from publish start), %d ms before",
                appGapAt[1], appGapAt[0] - appGapAt[1] - tPublish, appGapAt[0] - tPublish, appGapBefore));
        report.detail(String.format(Locale.ROOT, "swap timeline (ms from publish start): commit sent %d, flip %d, longest output "
                        + "gap %d..%d; GC pauses in the window (as the GC MXBeans report them: G1 Remark/Cleanup pauses are not among them on "
                        + "JDK 17): %s",
                tCommitted - tPublish, tSwap - tPublish, gapAt[0] - gap - tPublish, gapAt[0] - tPublish,
                describeGcs(gcs, tPublish, winEnd)));
        report.detail(String.format(Locale.ROOT, "swap heap (one JVM: broker, clients and bench included): baseline live before "
                        + "the publish %.0f MiB; in the window, peak live (heap after a GC; heap_peak_ratio) %.0f MiB = %.2fx the table "
                        + "(%.2fx above the baseline); old gen sampled peak %.0f MiB; heap used sampled every 2 ms, garbage "
                        + "included, peak %.0f MiB = %.2fx; max heap %.0f MiB",
                baseline / mib, peakLive / mib, peakLive / (double) tableBytes, (peakLive - baseline) / (double) tableBytes,
                peakOld / mib, peakSampled / mib, peakSampled / (double) tableBytes, Runtime.getRuntime().maxMemory() / mib));
    }

    /** The collections in the window: how many, and the five longest with when they ended. */
    private static String describeGcs(List<HeapMonitor.Gc> gcs, long from, long to) {
        List<HeapMonitor.Gc> in = gcs.stream().filter(g -> g.endMs() >= from && g.endMs() <= to)
                .sorted((a, b) -> Long.compare(b.durationMs(), a.durationMs())).toList();
        StringBuilder sb = new StringBuilder().append(in.size()).append(in.isEmpty() ? "" : ", longest");
        for (HeapMonitor.Gc g : in.subList(0, Math.min(5, in.size()))) {
            sb.append(String.format(Locale.ROOT, " %d ms at %d (%s)", g.durationMs(), g.endMs() - from, g.cause()));
        }
        return sb.toString();
    }

    /**
     * Writes the streamed table's records, serialized as the model topic carries them, to a file:
     * generating 512 MB of gaussians is the bench's own work and must not compete for the CPU while
     * the swap is measured.
     */
    static Path spool(StreamedTable table, TokvecConfig cfg, SchemaRegistryClient registry, Path file) throws IOException {
        ConfluentAvroSerializer<ModelRecord> serializer = new ConfluentAvroSerializer<>(registry, false);
        try (DataOutputStream o = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 20))) {
            while (table.hasNext()) {
                ModelChunker.Keyed k = table.next();
                byte[] value = serializer.serialize(cfg.modelTopic(), k.record());
                o.writeUTF(k.key().topicKey());
                o.writeInt(value.length);
                o.write(value);
            }
        }
        return file;
    }

    /** Sends the spooled records as {@link ModelPublisher} would: same producer settings, chunks, then the commit. */
    static void publish(TokvecConfig cfg, Path spool, int records) throws Exception {
        Map<String, Object> p = new HashMap<>(cfg.clientProps());
        p.keySet().removeIf(k -> k.startsWith("producer.") || k.startsWith("consumer."));
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "tokvec-bench-publish");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
             DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(spool), 1 << 20))) {
            Future<?> last = null;
            for (int i = 0; i < records; i++) {
                String key = in.readUTF();
                byte[] value = new byte[in.readInt()];
                in.readFully(value);
                last = producer.send(new ProducerRecord<>(cfg.modelTopic(), key, value));
            }
            producer.flush();
            last.get();
        }
    }

    static void awaitVersion(TokvecApp app, long version, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (app.registry().activeVersion() != version) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("table v" + version + " did not become active within " + timeout
                        + ": " + app.registry().describeVersions());
            }
            Thread.sleep(5);
        }
    }
}
