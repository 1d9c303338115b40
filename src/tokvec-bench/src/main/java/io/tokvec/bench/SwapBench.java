package io.tokvec.bench;

import io.tokvec.avro.ModelRecord;
import io.tokvec.kafka.ModelPublisher;
import io.tokvec.kafka.Topics;
import io.tokvec.model.ModelChunker;
import io.tokvec.serde.ConfluentAvroSerializer;
import io.tokvec.serde.SchemaRegistries;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.regex.Pattern;

/**
 * A table swap under load. tokvec runs as users run it ({@code tokvec run} in a JVM of its own, the
 * JVM's defaults, its stop-the-world pauses and heap logged by {@link GcLog}) against the broker
 * process, with the main table (v1, published with {@link ModelPublisher}) while a feeder keeps
 * events flowing; after a steady period, a {@code swapRows x dim} table (v2) is published to the
 * model topic (chunks, then the commit) and the application builds, verifies and swaps to it while it
 * keeps enriching. The v2 records are generated chunk by chunk ({@link StreamedTable}) and spooled to
 * a file before the measured periods, then sent with ModelPublisher's producer settings.
 *
 * <ul>
 *   <li>gap: the longest time between two consecutive output records in the swap window, from the
 *       records' own timestamps (the output topic uses LogAppendTime: the broker's clock when the
 *       batch was appended, so consumer polling does not add batching of its own; ms resolution).
 *       The window runs from the first chunk sent to one second after the pointer flip.</li>
 *   <li>dip: outputs per second in the window against the steady period before it.</li>
 *   <li>pauses and heap: every safepoint of the application's JVM, and its heap after every
 *       collection (what was live then, plus garbage of the old generation not yet collected), against
 *       the swap table's bytes, with the baseline before the publish.</li>
 * </ul>
 */
final class SwapBench {

    static final long AFTER_SWAP_MS = 1000;
    private static final long MAX_AHEAD = 2000;
    private static final Pattern ACTIVE = Pattern.compile("\"active_version\"\\s*:\\s*(-?\\d+)");
    private static final Pattern BUILT = Pattern.compile("-> v(\\d+) .*built and verified in (\\d+) ms");

    private final Workload workload;
    private final BrokerProcess broker;
    private final Path stateDir;

    SwapBench(Workload workload, BrokerProcess broker, Path stateDir) {
        this.workload = workload;
        this.broker = broker;
        this.stateDir = stateDir;
    }

    void run(BenchReport report) throws Exception {
        BenchSettings s = workload.settings();
        Path dir = Files.createDirectories(stateDir.resolve("swap"));
        Map<String, String> props = BenchKafka.appProps(broker, "swap", dir.resolve("state"), s, Map.of(
                TokvecConfig.HTTP_PORT, "0", TokvecConfig.HTTP_BIND, "127.0.0.1"));
        TokvecConfig cfg = new TokvecConfig(props);
        BenchKafka.createTopics(broker, cfg);
        try (SchemaRegistryClient registry = SchemaRegistries.forConfig(Map.of(SchemaRegistries.URL, broker.registryUrl()))) {
            Topics.ensureModelTopic(broker.admin(), cfg);
            try (ModelPublisher publisher = new ModelPublisher(cfg, registry)) {
                publisher.publish(workload.table(), ModelChunker.DEFAULT_CHUNK_BYTES, Map.of("source", "tokvec bench"), null);
            }
            int n = workload.size();
            byte[][] keys = workload.keys(n);
            byte[][] values = workload.serialized(registry, cfg.inputTopic(), n);
            long swapVersion = workload.table().version() + 1;
            StreamedTable table = new StreamedTable(Workload.TABLE, swapVersion, s.swapRows(), s.dim(), s.seed() + 1);
            Path spooled = spool(table, cfg, registry, dir.resolve("swap-table.spool"));
            Path gcLog = dir.resolve("swap-app-gc.log");
            List<String> jvm = new ArrayList<>(GcLog.options(gcLog));
            jvm.addAll(TokvecProcess.jvmOptions("tokvec.bench.tokvec.jvm"));
            OutputRecorder out = new OutputRecorder(BenchKafka.outputConsumerProps(broker, "bench-swap-reader", s),
                    cfg.outputTopic(), true);
            Measured m;
            try (TokvecProcess app = TokvecProcess.start("swap-app", props, dir.resolve("swap-app.properties"), jvm,
                    dir.resolve("swap-app.log"))) {
                app.awaitReady(Duration.ofMinutes(5));
                try (EventFeeder feeder = new EventFeeder(BenchKafka.producerProps(broker, "bench-swap-feeder"),
                        cfg.inputTopic(), keys, values, MAX_AHEAD, out::count)) {
                    Thread.sleep((long) (s.warmupSeconds() * 1000));
                    Thread.sleep((long) (s.swapBeforeSeconds() * 1000));
                    long tPublish = System.currentTimeMillis();
                    publish(cfg, spooled, table.chunkCount() + 1);
                    long tCommitted = System.currentTimeMillis();
                    long tSwap = awaitVersion(app, swapVersion, Duration.ofMinutes(10));
                    Thread.sleep((long) (s.swapAfterSeconds() * 1000));
                    long tEnd = System.currentTimeMillis();
                    m = new Measured(tPublish, tCommitted, tSwap, tEnd, buildMillis(app, swapVersion));
                    if (feeder.failure() != null) {
                        throw new IllegalStateException("event feeder failed", feeder.failure());
                    }
                }
                long dead = BenchKafka.endOffsets(broker, cfg.dlqTopic());
                if (dead != 0) {
                    throw new IllegalStateException("swap: " + dead + " events were dead-lettered");
                }
            } finally {
                out.close();
                Files.deleteIfExists(spooled);
            }
            analyse(report, s, out, m, table, GcLog.read(gcLog));
        }
    }

    /** What happened during the swap: wall-clock times (ms), and how long the registry took to build and verify v2. */
    private record Measured(long tPublish, long tCommitted, long tSwap, long tEnd, long buildMillis) {
    }

    private static void analyse(BenchReport report, BenchSettings s, OutputRecorder out, Measured m, StreamedTable table,
                                List<GcLog.Pause> pauses) {
        long tPublish = m.tPublish();
        long tCommitted = m.tCommitted();
        long tSwap = m.tSwap();
        long tEnd = m.tEnd();
        int chunks = table.chunkCount();
        long tableBytes = table.bytes();
        long[] stamps = out.timestamps();
        long[] received = out.receivedMillis();
        long winEnd = Math.min(tSwap + AFTER_SWAP_MS, tEnd);
        long beforeStart = tPublish - (long) (s.swapBeforeSeconds() * 1000);
        long[] gapAt = SwapAnalysis.longestGapAt(stamps, tPublish, winEnd);
        long gap = gapAt[1];
        long gapBefore = SwapAnalysis.longestGap(stamps, beforeStart, tPublish);
        long gapReceived = SwapAnalysis.longestGap(received, tPublish, winEnd);
        double rateBefore = SwapAnalysis.rate(stamps, beforeStart, tPublish);
        double rateWindow = SwapAnalysis.rate(stamps, tPublish, winEnd);
        double rateAfter = SwapAnalysis.rate(stamps, winEnd, tEnd);
        long baseline = SwapAnalysis.lastAfterGc(pauses, tPublish);
        long peakLive = SwapAnalysis.peakAfterGc(pauses, tPublish, winEnd);
        if (peakLive < 0) { // no collection in the window: the last one before it
            peakLive = baseline;
        }
        double pause = SwapAnalysis.longestPause(pauses, tPublish, winEnd);
        double pauseBefore = SwapAnalysis.longestPause(pauses, beforeStart, tPublish);
        double mib = 1048576.0;

        report.swapGapMs = (double) gap;
        report.heapPeakRatio = peakLive / (double) tableBytes;
        report.add(new BenchReport.Row("swap", rateWindow, Double.NaN, rateWindow * s.embeddingBytes() / 1e6, String.format(Locale.ROOT,
                "outputs/s in the swap window (%.0f%% of before); longest output gap %d ms; heap after GC peak %.2fx the table",
                100 * rateWindow / rateBefore, gap, report.heapPeakRatio)));
        report.detail(String.format(Locale.ROOT, "swap table: %,d x %d float32 = %.0f MiB (%s), %d chunks; published in %.1f s; "
                        + "commit -> active in %d ms (registry build+verify %d ms); tokvec run in its own JVM (%s)",
                s.swapRows(), s.dim(), tableBytes / mib, s.swapRows() == 1_000_000 ? "the full size" : "smaller than the full 1,000,000 rows",
                chunks, (tCommitted - tPublish) / 1000.0, tSwap - tCommitted, m.buildMillis(), s.guarantee()));
        report.detail(String.format(Locale.ROOT, "swap window: publish start -> flip + %d ms = %.1f s; outputs/s before %,.0f, "
                        + "in window %,.0f (%.0f%%), after %,.0f",
                AFTER_SWAP_MS, (winEnd - tPublish) / 1000.0, rateBefore, rateWindow, 100 * rateWindow / rateBefore, rateAfter));
        report.detail(String.format(Locale.ROOT, "swap gaps (LogAppendTime%s): longest %d ms in the window (%d..%d ms from publish"
                        + " start; commit sent at %d, flip at %d), %d ms in the %.0f s before; by consumer receive time %d ms",
                out.allLogAppendTime() ? "" : ", NOT all records carried it", gap, gapAt[0] - gap - tPublish, gapAt[0] - tPublish,
                tCommitted - tPublish, tSwap - tPublish, gapBefore, s.swapBeforeSeconds(), gapReceived));
        report.detail(String.format(Locale.ROOT, "swap pauses of the application's JVM (safepoints, from its -Xlog:gc,safepoint):"
                        + " longest %.0f ms in the window, %.0f ms in the %.0f s before; in the window %s",
                pause, pauseBefore, s.swapBeforeSeconds(), describePauses(pauses, tPublish, winEnd)));
        report.detail(String.format(Locale.ROOT, "swap heap of the application's JVM: after the last collection before the publish"
                        + " %.0f MiB; in the window, peak after a collection (heap_peak_ratio; old-generation garbage not yet"
                        + " collected included) %.0f MiB = %.2fx the table (%.2fx above the baseline)",
                baseline / mib, peakLive / mib, peakLive / (double) tableBytes, (peakLive - baseline) / (double) tableBytes));
    }

    /** The safepoints in the window: how many, and the five longest with when they ended (ms from {@code from}). */
    private static String describePauses(List<GcLog.Pause> pauses, long from, long to) {
        List<GcLog.Pause> in = pauses.stream().filter(g -> g.safepoint() && g.endMs() >= from && g.endMs() <= to)
                .sorted((a, b) -> Double.compare(b.millis(), a.millis())).toList();
        StringBuilder sb = new StringBuilder().append(in.size()).append(" safepoints").append(in.isEmpty() ? "" : ", longest");
        for (GcLog.Pause g : in.subList(0, Math.min(5, in.size()))) {
            sb.append(String.format(Locale.ROOT, " %.0f ms at %d (%s)", g.millis(), g.endMs() - from, g.what()));
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

    /** Polls {@code /health/ready} every 10 ms until it names {@code version}; the wall-clock time it first did. */
    static long awaitVersion(TokvecProcess app, long version, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            java.util.regex.Matcher m = ACTIVE.matcher(app.get("/health/ready"));
            if (m.find() && Long.parseLong(m.group(1)) == version) {
                return System.currentTimeMillis();
            }
            if (!app.alive()) {
                throw new IllegalStateException("the application exited; last lines:\n" + app.process().tail(20));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("table v" + version + " did not become active within " + timeout);
            }
            Thread.sleep(10);
        }
    }

    /** The build and verify time the application logged for {@code version}, or -1. */
    private static long buildMillis(TokvecProcess app, long version) {
        for (String line : app.process().lines()) {
            java.util.regex.Matcher m = BUILT.matcher(line);
            if (m.find() && Long.parseLong(m.group(1)) == version) {
                return Long.parseLong(m.group(2));
            }
        }
        return -1;
    }

    /** Waits until the in-process application {@code app} serves {@code version}. */
    static void awaitVersion(io.tokvec.app.TokvecApp app, long version, Duration timeout) throws InterruptedException {
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
