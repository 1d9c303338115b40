package io.tokvec.bench;

import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TableDeltaCommit;
import io.tokvec.avro.TokenEvent;
import io.tokvec.broker.EmbeddedKafkaBroker;
import io.tokvec.config.TokvecConfig;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.EnrichOptions;
import io.tokvec.core.EnrichResult;
import io.tokvec.core.Enricher;
import io.tokvec.core.TableSegments;
import io.tokvec.kafka.Topics;
import io.tokvec.model.ContentIds;
import io.tokvec.model.DeltaChunker;
import io.tokvec.model.ModelChunker;
import io.tokvec.model.TableLease;
import io.tokvec.serde.ConfluentAvroSerializer;
import io.tokvec.serde.MockSchemaRegistry;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.app.TokvecApp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code delta} part (opt-in: {@code --parts delta}): delta versions of a 3,000,000 x 300 float32
 * table (3.6 GB; {@code -Dtokvec.bench.delta.rows} for a smaller one) served end to end on the
 * embedded broker while events flow at a fixed rate ({@code -Dtokvec.bench.delta.rate}, default 500
 * events/s, max_len 32, token ids uniform over the whole table).
 *
 * <ol>
 *   <li>A delta of 1% of the rows (30,000 random ids, replaced) published under load: the time from
 *       its commit record (sent) to the first output naming it (received); the peak resident set
 *       size of the JVM (broker, clients and bench included, VmRSS every 20 ms) from the first delta
 *       chunk to a second after it went live, above the RSS just before; the longest gap between two
 *       outputs received and the p99 latency (send to receive) of the events sent from the commit
 *       to a second after the first output naming it.</li>
 *   <li>Lookups with the overlay against lookups without it: the enrichment core on the live delta
 *       version and on its base (the same storage without the overlay), alternated, no load.</li>
 *   <li>What copy-on-write of the touched pages would cost instead, for the same 30,000 ids: bytes to
 *       copy at page sizes of 4 KiB to 1 GiB, and the time to copy them once (to a reused buffer).</li>
 *   <li>Sustained: the p99 latency of {@code tokvec.bench.delta.seconds} (60) at the rate without
 *       deltas, then as long with a delta of {@code tokvec.bench.delta.rows.per.second} (1,700) random
 *       rows every second (100,000 a minute), each over the previous one; folds happen as they would
 *       (tokvec.delta.fold.overlay.ratio, tokvec.delta.max.chain).</li>
 * </ol>
 */
final class DeltaBench {

    static final int MAX_LEN = 32;
    static final long AFTER_LIVE_MS = 1000;
    private static final Duration TIMEOUT = Duration.ofMinutes(20);

    private final Workload workload;
    private final EmbeddedKafkaBroker broker;
    private final Path stateDir;

    DeltaBench(Workload workload, EmbeddedKafkaBroker broker, Path stateDir) {
        this.workload = workload;
        this.broker = broker;
        this.stateDir = stateDir;
    }

    /** A delta about to be published: its records and its content id. */
    private record Prepared(List<ModelChunker.Keyed> records, String contentId, long rows) {
    }

    void run(BenchReport report) throws Exception {
        BenchSettings s = workload.settings();
        int rows = s.deltaTableRows();
        int dim = s.deltaDim();
        int oneRows = Math.max(1, rows / 100);
        double rate = s.deltaEventsPerSecond();
        String scope = "tokvec-bench-delta-" + System.nanoTime();
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(scope);
        Map<String, String> overrides = new HashMap<>(Map.of(TokvecConfig.MAX_LEN, Integer.toString(MAX_LEN)));
        // the application's fold triggers, e.g. to see the sustained deltas with or without folds
        for (String key : List.of(TokvecConfig.DELTA_MAX_CHAIN, TokvecConfig.DELTA_FOLD_OVERLAY_RATIO,
                TokvecConfig.DELTA_FOLD_MAX_BYTES_PER_SECOND)) {
            String value = System.getProperty("tokvec.bench." + key.substring("tokvec.".length()));
            if (value != null) {
                overrides.put(key, value);
            }
        }
        TokvecConfig cfg = BenchKafka.appConfig(broker, "delta", scope, stateDir, s, overrides);
        broker.createTopic(cfg.inputTopic(), cfg.topicPartitions(), Map.of());
        // CreateTime (the default): each output keeps its input's send time, for latencies
        broker.createTopic(cfg.outputTopic(), cfg.topicPartitions(), Map.of(TopicConfig.SEGMENT_BYTES_CONFIG, Integer.toString(256 << 20),
                TopicConfig.RETENTION_BYTES_CONFIG, Long.toString(2L << 30)));
        broker.createTopic(cfg.dlqTopic(), cfg.topicPartitions(), Map.of());
        Topics.ensureAll(cfg);
        Path spool = stateDir.resolve("delta-v1.spool");
        try {
            StreamedTable v1 = new StreamedTable(Workload.TABLE, 1, rows, dim, s.seed() + 21);
            SwapBench.spool(v1, cfg, registry, spool);
            long p0 = System.nanoTime();
            SwapBench.publish(cfg, spool, v1.chunkCount() + 1);
            double publishSeconds = (System.nanoTime() - p0) / 1e9;
            Files.delete(spool);
            String v1Content = ContentIds.of(v1.commit());

            int n = 20_000;
            byte[][] keys = new byte[n][];
            byte[][] values = events(registry, cfg.inputTopic(), n, rows, s.seed() + 22, keys);
            SplittableRandom rnd = new SplittableRandom(s.seed() + 23);
            Prepared one = prepare(2, 1, rows, dim, v1Content, distinctIds(rnd, oneRows, rows), rnd.nextLong());
            long deltaBytes = (long) oneRows * (Integer.BYTES + (long) dim * Float.BYTES);

            AtomicLong liveAt = new AtomicLong();
            try (TokvecApp app = new TokvecApp(cfg);
                 KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(BenchKafka.producerProps(broker, "bench-delta"),
                         new ByteArraySerializer(), new ByteArraySerializer());
                 KafkaProducer<String, ModelRecord> model = modelProducer(cfg, registry);
                 OutputRecorder out = new OutputRecorder(BenchKafka.outputConsumerProps(broker, "bench-delta-reader", s),
                         cfg.outputTopic(), true, true)) {
                app.registry().onSwap(sw -> {
                    if (sw.version() == 2) liveAt.set(System.currentTimeMillis());
                });
                long a0 = System.nanoTime();
                app.start();
                SwapBench.awaitVersion(app, 1, TIMEOUT);
                double firstBuildSeconds = (System.nanoTime() - a0) / 1e9;
                LatencyBench.paced(producer, cfg.inputTopic(), keys, values, out, rate, Math.max(2, s.warmupSeconds()), null, TIMEOUT);

                // 1. the 1% delta under load
                long from = out.count();
                long[] marks = new long[3]; // first chunk sent, commit sent, RSS before
                LatencyBench.paced(producer, cfg.inputTopic(), keys, values, out, rate, 9, () -> {
                    marks[2] = LargeSwapBench.rss();
                    try (LargeSwapBench.RssMonitor rss = new LargeSwapBench.RssMonitor(20)) {
                        marks[0] = System.currentTimeMillis();
                        marks[1] = send(model, cfg, one.records());
                        SwapBench.awaitVersion(app, 2, TIMEOUT);
                        Thread.sleep(2 * AFTER_LIVE_MS);
                        marks[2] = rss.peak(marks[0], System.currentTimeMillis()) - marks[2];
                    }
                }, TIMEOUT);
                long[] sent = out.timestampsSince(from);
                long[] received = out.receivedMillisSince(from);
                int[] versions = out.versionsSince(from);
                long firstLive = Long.MAX_VALUE;
                long firstV2Sent = Long.MAX_VALUE;
                long lastV1Sent = Long.MIN_VALUE;
                for (int i = 0; i < versions.length; i++) {
                    if (versions[i] == 2) {
                        firstLive = Math.min(firstLive, received[i]);
                        firstV2Sent = Math.min(firstV2Sent, sent[i]);
                    } else if (versions[i] == 1) {
                        lastV1Sent = Math.max(lastV1Sent, sent[i]);
                    }
                }
                if (firstLive == Long.MAX_VALUE) {
                    throw new IllegalStateException("delta: no output named v2");
                }
                long windowEnd = firstLive + AFTER_LIVE_MS;
                long gap = SwapAnalysis.longestGap(received, marks[1], windowEnd);
                long gapBefore = SwapAnalysis.longestGap(received, marks[0] - 3000, marks[0]);
                long p99Window = p99(sent, received, marks[1], windowEnd);
                long p99Before = p99(sent, received, Long.MIN_VALUE, marks[0]);
                report.deltaLiveMs = (double) (firstLive - marks[1]);
                report.deltaRssMb = marks[2] / 1e6;
                report.deltaRssTargetMb = (3.0 * deltaBytes + 64e6) / 1e6;
                report.deltaGapMs = (double) gap;

                // 2. lookups with and without the overlay; 3. what copy-on-write would copy
                double[] lookups = lookups(app, rows, s.seed() + 24, s.quick() ? 1 : 2, s.quick() ? 1 : 5);
                report.deltaLookupRatio = lookups[0];
                String cow = copyOnWrite(app, oneRows);

                // 4. sustained: the same rate without deltas, then with a delta every second
                long foldsBefore = app.registry().foldCount();
                long[] foldDone = new long[(int) s.deltaSeconds() + 2]; // folds swapped in by the end of second k
                long baseFrom = out.count();
                LatencyBench.paced(producer, cfg.inputTopic(), keys, values, out, rate, s.deltaSeconds(), null, TIMEOUT);
                long p99Base = p99(out.timestampsSince(baseFrom), out.receivedMillisSince(baseFrom), Long.MIN_VALUE, Long.MAX_VALUE);
                long deltaFrom = out.count();
                int[] published = {0};
                Throwable[] failed = {null};
                String[] chain = {one.contentId()};
                long sustainedMs = (long) (s.deltaSeconds() * 1000);
                Thread publisher = new Thread(() -> {
                    try {
                        long t0 = System.currentTimeMillis();
                        SplittableRandom r = new SplittableRandom(s.seed() + 25);
                        for (int k = 0; t0 + k * 1000L < t0 + sustainedMs; k++) {
                            long due = t0 + k * 1000L;
                            while (System.currentTimeMillis() < due) {
                                Thread.sleep(Math.max(1, due - System.currentTimeMillis()));
                            }
                            long version = 3 + k;
                            Prepared d = prepare(version, version - 1, (int) one.rows(), dim, chain[0],
                                    distinctIds(r, s.deltaRowsPerSecond(), rows), r.nextLong());
                            send(model, cfg, d.records());
                            chain[0] = d.contentId();
                            published[0]++;
                            foldDone[Math.min(k, foldDone.length - 1)] = app.registry().foldCount() - foldsBefore;
                        }
                    } catch (Throwable t) {
                        failed[0] = t;
                    }
                }, "bench-delta-publisher");
                publisher.start();
                LatencyBench.paced(producer, cfg.inputTopic(), keys, values, out, rate, s.deltaSeconds(), null, TIMEOUT);
                publisher.join(TIMEOUT.toMillis());
                if (failed[0] != null) {
                    throw new IllegalStateException("delta: publishing the sustained deltas failed", failed[0]);
                }
                SwapBench.awaitVersion(app, 2 + published[0], TIMEOUT);
                long[] dSent = out.timestampsSince(deltaFrom);
                long[] dReceived = out.receivedMillisSince(deltaFrom);
                long p99Deltas = p99(dSent, dReceived, Long.MIN_VALUE, Long.MAX_VALUE);
                StringBuilder slices = new StringBuilder();
                long sliceStart = dSent.length == 0 ? 0 : Arrays.stream(dSent).min().getAsLong();
                for (int k = 0; k * 10 < s.deltaSeconds(); k++) {
                    long a = sliceStart + k * 10_000L;
                    slices.append(String.format(Locale.ROOT, "%s%d-%d s: p99 %d ms (folds done %d)", k == 0 ? "" : ", ", k * 10,
                            k * 10 + 10, p99(dSent, dReceived, a, a + 9_999), Arrays.stream(foldDone, 0, Math.min(k * 10 + 10, foldDone.length)).max().orElse(0)));
                }
                long folds = app.registry().foldCount() - foldsBefore;
                report.deltaP99Ratio = p99Deltas / (double) Math.max(1, p99Base);
                if (app.metrics().deadLetterCount() != 0) {
                    throw new IllegalStateException("delta: " + app.metrics().deadLetterCount() + " events were dead-lettered");
                }

                report.add(new BenchReport.Row("delta", rate, Double.NaN, rate * MAX_LEN * dim * 4 / 1e6, String.format(Locale.ROOT,
                        "1%% delta (%,d rows) of %,d x %d under load: live %d ms after its commit, +%.0f MB RSS, longest gap %d ms;"
                                + " sustained %,d rows/s: p99 %.2fx", oneRows, rows, dim, firstLive - marks[1], report.deltaRssMb, gap,
                        s.deltaRowsPerSecond(), report.deltaP99Ratio)));
                report.detail(String.format(Locale.ROOT, "delta: %,d x %d float32 = %.2f GB published in %.1f s, v1 active %.1f s after"
                                + " start; events at %.0f/s, max_len %d, ids uniform over the table (%s)", rows, dim,
                        rows * (double) dim * 4 / 1e9, publishSeconds, firstBuildSeconds, rate, MAX_LEN, s.guarantee()));
                report.detail(String.format(Locale.ROOT, "delta 1%%: %,d rows (%.1f MB with ids); commit sent -> v2 swapped %d ms -> first"
                                + " v2 output received %d ms; peak RSS from its first chunk to %d ms after it went live: +%.0f MB above"
                                + " the RSS before (target 3 x delta + 64 MB = %.0f MB); longest output gap (receive times) %d ms"
                                + " (%d ms in the 3 s before); p99 send->receive %d ms in the window, %d ms before", oneRows,
                        deltaBytes / 1e6, liveAt.get() - marks[1], firstLive - marks[1], 2 * AFTER_LIVE_MS, report.deltaRssMb,
                        report.deltaRssTargetMb, gap, gapBefore, p99Window, p99Before));
                report.detail(String.format(Locale.ROOT, "delta 1%%: from the swap, the last output naming v1 was sent (CreateTime) %d ms"
                        + " after, the first naming v2 %d ms after", lastV1Sent - liveAt.get(), firstV2Sent - liveAt.get()));
                report.detail(String.format(Locale.ROOT, "delta lookups: enrichment core on the 1%% delta version %,.0f ev/s, on its"
                        + " base's storage without the overlay %,.0f ev/s: %.3fx (median of alternated runs, ids uniform over the table)",
                        lookups[1], lookups[2], lookups[0]));
                report.detail("delta copy-on-write instead of the overlay, same 1% ids: " + cow);
                report.detail(String.format(Locale.ROOT, "delta sustained: %.0f s at %.0f ev/s: p99 %d ms without deltas, %d ms with %d"
                                + " deltas of %,d rows (one a second, each over the last; %d fold(s), tokvec.delta.fold.overlay.ratio=%s,"
                                + " tokvec.delta.max.chain=%d): %.2fx",
                        s.deltaSeconds(), rate, p99Base, p99Deltas, published[0], s.deltaRowsPerSecond(), folds,
                        cfg.deltaFoldOverlayRatio(), cfg.deltaMaxChain(), report.deltaP99Ratio));
                report.detail("delta sustained, by 10 s of sending: " + slices);
            }
        } finally {
            Files.deleteIfExists(spool);
            MockSchemaRegistry.dropScope(scope);
        }
    }

    /** {@code count} distinct ids uniform in {@code [0, rows)}, in random order. */
    static int[] distinctIds(SplittableRandom rnd, int count, int rows) {
        java.util.BitSet seen = new java.util.BitSet(rows);
        int[] ids = new int[Math.min(count, rows)];
        for (int i = 0; i < ids.length; ) {
            int id = rnd.nextInt(rows);
            if (!seen.get(id)) {
                seen.set(id);
                ids[i++] = id;
            }
        }
        return ids;
    }

    /** The records of a delta replacing {@code ids} with gaussian rows, over a base of {@code baseRows} rows and content id {@code base}. */
    private static Prepared prepare(long version, long baseVersion, int baseRows, int dim, String baseContent, int[] ids, long seed) {
        DeltaChunker c = new DeltaChunker(Workload.TABLE, version, new DeltaChunker.Base(baseVersion, baseRows, dim, baseContent, false),
                ids, (i, dst, off) -> Workload.fillGaussian(dst, off / Float.BYTES, dim, new SplittableRandom(seed + i)), null,
                ModelChunker.DEFAULT_CHUNK_BYTES);
        List<ModelChunker.Keyed> records = c.chunksAndCommit();
        String id = ((TableDeltaCommit) records.get(records.size() - 1).record().getBody()).getContentId();
        return new Prepared(records, id, c.rows());
    }

    private static KafkaProducer<String, ModelRecord> modelProducer(TokvecConfig cfg, SchemaRegistryClient registry) {
        Map<String, Object> p = new HashMap<>(cfg.clientProps());
        p.keySet().removeIf(k -> k.startsWith("producer.") || k.startsWith("consumer."));
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "tokvec-bench-delta-publish");
        return new KafkaProducer<>(p, new StringSerializer(), new ConfluentAvroSerializer<>(registry, false));
    }

    /** Sends the chunks, waits for them, then the commit (as publish does); returns when the commit was sent (ms). */
    private static long send(KafkaProducer<String, ModelRecord> model, TokvecConfig cfg, List<ModelChunker.Keyed> records)
            throws Exception {
        for (int i = 0; i < records.size() - 1; i++) {
            model.send(new ProducerRecord<>(cfg.modelTopic(), records.get(i).key().topicKey(), records.get(i).record()));
        }
        model.flush();
        ModelChunker.Keyed commit = records.get(records.size() - 1);
        long at = System.currentTimeMillis();
        model.send(new ProducerRecord<>(cfg.modelTopic(), commit.key().topicKey(), commit.record())).get();
        return at;
    }

    /** Events of 1..max_len token ids uniform in {@code [2, rows)}, serialized; their keys into {@code keys}. */
    private static byte[][] events(SchemaRegistryClient registry, String topic, int n, int rows, long seed, byte[][] keys) {
        ConfluentAvroSerializer<TokenEvent> ser = new ConfluentAvroSerializer<>(registry, false);
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[][] out = new byte[n][];
        for (int e = 0; e < n; e++) {
            Integer[] ids = new Integer[1 + rnd.nextInt(MAX_LEN)];
            for (int i = 0; i < ids.length; i++) ids[i] = 2 + rnd.nextInt(rows - 2);
            String id = "d" + e;
            keys[e] = id.getBytes(StandardCharsets.UTF_8);
            out[e] = ser.serialize(topic, TokenEvent.newBuilder().setId(id).setTokenIds(Arrays.asList(ids)).build());
        }
        return out;
    }

    /** Nearest-rank p99 of receive - send over the events sent in {@code [from, to]}, ms. */
    private static long p99(long[] sent, long[] received, long from, long to) {
        long[] lat = new long[sent.length];
        int m = 0;
        for (int i = 0; i < sent.length; i++) {
            if (sent[i] >= from && sent[i] <= to) lat[m++] = received[i] - sent[i];
        }
        if (m == 0) {
            return -1;
        }
        long[] sorted = Arrays.copyOf(lat, m);
        Arrays.sort(sorted);
        return LatencyBench.percentile(sorted, 0.99);
    }

    /**
     * The enrichment core on the active (delta) version and on the version its overlay lies on (the
     * same root storage, no overlay), alternated {@code rounds} times: {median ratio, median delta ev/s,
     * median dense ev/s}.
     */
    private static double[] lookups(TokvecApp app, int rows, long seed, double seconds, int rounds) throws Exception {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[][] events = new int[4096][];
        for (int e = 0; e < events.length; e++) {
            events[e] = new int[1 + rnd.nextInt(MAX_LEN)];
            for (int i = 0; i < events[e].length; i++) events[e][i] = 2 + rnd.nextInt(rows - 2);
        }
        try (TableLease lease = app.registry().acquire()) {
            EmbeddingTable delta = lease.table();
            if (delta == null || delta.overlay() == null) {
                throw new IllegalStateException("delta: the active version is not a delta version: " + delta);
            }
            EmbeddingTable dense = delta.asOf(delta.rootVersion(), null);
            try {
                double[] d = new double[rounds];
                double[] b = new double[rounds];
                for (int k = 0; k < rounds; k++) {
                    b[k] = enrich(dense, events, seconds);
                    d[k] = enrich(delta, events, seconds);
                }
                double[] ratios = new double[rounds];
                for (int k = 0; k < rounds; k++) ratios[k] = d[k] / b[k];
                Arrays.sort(ratios);
                Arrays.sort(d);
                Arrays.sort(b);
                return new double[] {ratios[rounds / 2], d[rounds / 2], b[rounds / 2]};
            } finally {
                dense.retire();
            }
        }
    }

    private static double enrich(EmbeddingTable table, int[][] events, double seconds) throws Exception {
        Enricher enricher = new Enricher(EnrichOptions.of(MAX_LEN));
        long[] sink = {0};
        TimedLoop.Run run = TimedLoop.run(seconds / 2, seconds, i -> {
            int[] ids = events[(int) (i % events.length)];
            EnrichResult r = enricher.enrichIds(table, ids, ids.length);
            sink[0] += r.embeddings()[r.embeddings().length - 1];
        });
        CoreBench.blackhole = sink[0];
        return run.perSecond();
    }

    /**
     * Copy-on-write of the pages the live delta's ids touch, at page sizes from 4 KiB to a 1 GiB segment:
     * the bytes it would copy (and hold) and the time to copy them once from the root's storage to a reused
     * buffer; against the overlay's own bytes.
     */
    private static String copyOnWrite(TokvecApp app, int rowsChanged) {
        try (TableLease lease = app.registry().acquire()) {
            EmbeddingTable t = lease.table();
            TableSegments root = t.segments();
            int[] ids = t.overlay().layers().get(t.overlay().layers().size() - 1).ids();
            long rowBytes = root.rowBytes();
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "the overlay holds %.1f MB (rows and index);",
                    t.overlay().bytes() / 1e6));
            ByteBuffer scratch = ByteBuffer.allocateDirect(1 << 20);
            for (long page : new long[] {4 << 10, 64 << 10, 1 << 20, 1L << 30}) {
                java.util.TreeSet<Long> pages = new java.util.TreeSet<>();
                for (int id : ids) {
                    long first = id * rowBytes / page;
                    long last = (id * rowBytes + rowBytes - 1) / page;
                    for (long p = first; p <= last; p++) pages.add(p);
                }
                long bytes = Math.min(pages.size() * page, root.bytes());
                long t0 = System.nanoTime();
                for (long p : pages) {
                    long start = p * page;
                    long end = Math.min(root.bytes(), start + page);
                    for (long at = start; at < end; ) {
                        int row = (int) (at / rowBytes);
                        int off = (int) (at - row * rowBytes);
                        int len = (int) Math.min(Math.min(rowBytes - off, end - at), scratch.capacity());
                        scratch.put(0, root.segmentOf(row), root.offsetOf(row) + off, len);
                        at += len;
                    }
                }
                double ms = (System.nanoTime() - t0) / 1e6;
                sb.append(String.format(Locale.ROOT, " %s pages: %,d touched, %.0f MB to copy (%.0f ms)", page >= 1L << 30 ? "1 GiB"
                        : page >= 1 << 20 ? (page >> 20) + " MiB" : (page >> 10) + " KiB", pages.size(), bytes / 1e6, ms));
            }
            return sb.append(String.format(Locale.ROOT, " (%,d rows changed)", rowsChanged)).toString();
        }
    }
}
