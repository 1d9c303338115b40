package io.tokvec.bench;

import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.TokenEvent;
import io.tokvec.config.TokvecConfig;
import io.tokvec.kafka.ModelPublisher;
import io.tokvec.kafka.Topics;
import io.tokvec.model.ModelChunker;
import io.tokvec.serde.ConfluentAvroDeserializer;
import io.tokvec.serde.ConfluentAvroSerializer;
import io.tokvec.serde.SchemaRegistries;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.tables.NpyWriter;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * tokvec against the alternatives a user has, side by side on one broker in a process of its own
 * ({@code tokvec broker}, started by the bench with the JVM's defaults), every pipeline in a process
 * of its own too:
 *
 * <ul>
 *   <li><b>ceiling</b>: {@link CeilingProducer}, a plain Kafka producer writing as many records of
 *       the output's size as there are events, nothing computed; once with Kafka's producer defaults
 *       and once with the best settings found for 66 KB records;</li>
 *   <li><b>peer</b>: {@code bench/peer_loop.py}, the 30-line Python loop a user would write
 *       (confluent-kafka, avro, Keras' pad_sequences, a numpy gather; at least once), when a python3
 *       with those packages is found;</li>
 *   <li><b>e2e</b>: {@code tokvec run} with the shipped configuration (what {@code config/local.properties}
 *       sets for one broker: exactly_once_v2, one stream thread, and nothing tuned), and with
 *       at_least_once;</li>
 *   <li><b>bytes</b>: the same with {@code tokvec.output.dtype=float16}, and with lz4 and zstd
 *       producer compression; and their ceilings: the tuned ceiling with the same compression sending
 *       real output records ({@link CeilingValues}), since tokvec's outputs compress and gaussian bytes
 *       do not;</li>
 *   <li><b>scale</b>: two partitions: the ceiling, one tokvec with 2 stream threads, two tokvec
 *       instances.</li>
 * </ul>
 *
 * <p>Every round gives a pipeline fresh topics; the pipeline is started and ready (assigned,
 * table loaded) before the bench writes the events to its input (the ceiling writes its own), and
 * the rate is read afterwards from the broker's LogAppendTime of the outputs, from output number
 * {@code e2eWarmup} to the last. Rounds alternate between the pipelines (the order rotates each
 * round) and each figure is the median of its rounds.
 */
final class SideBySideBench {

    /** Producer settings of the tuned ceiling: the best found for 66 KB records on one broker. */
    static final Map<String, String> CEILING_TUNED = orderedMap(
            ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(1 << 20),
            ProducerConfig.LINGER_MS_CONFIG, "5");

    private static final Pattern OPS_PORT = Pattern.compile("operations endpoint on http://[^:]+:(\\d+)/");
    private static final Pattern PEER_READY = Pattern.compile("peer: ready");
    private static final Pattern CPU = Pattern.compile("cpu_s=([\\d.]+)");
    private static final String PEER_SCRIPT = "/bench/peer_loop.py";
    /** A variant's JVM options for its tokvec instances (not a config key: taken out before the config is written). */
    private static final String JVM_KEY = "bench.jvm";

    enum Kind { CEILING, PEER, TOKVEC }

    /**
     * One pipeline measured in rounds.
     *
     * @param settings producer settings (ceiling) or tokvec config keys (tokvec) on top of the defaults
     */
    record Pipeline(String name, String part, Kind kind, int partitions, int instances, Map<String, String> settings,
                    String what, boolean outputValues) {

        /** A pipeline whose ceiling (if it is one) sends gaussian bytes. */
        Pipeline(String name, String part, Kind kind, int partitions, int instances, Map<String, String> settings, String what) {
            this(name, part, kind, partitions, instances, settings, what, false);
        }
    }

    /** One round of one pipeline. */
    record Round(double eventsPerSecond, double meanBytes, double pipelineCpuMsPerEvent, double brokerCpuMsPerEvent,
                 long longestGapMs, String threads) {
    }

    private final Workload workload;
    private final BenchSettings s;
    private final Path dir;
    private final Duration timeout = Duration.ofMinutes(10);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private String python;
    private String skipPeer;

    SideBySideBench(Workload workload, Path workDir) {
        this.workload = workload;
        this.s = workload.settings();
        this.dir = workDir.resolve("side-by-side");
    }

    /** The pipelines of the selected parts, in the order they run within a round. */
    List<Pipeline> pipelines() {
        List<Pipeline> list = new ArrayList<>();
        if (s.runs("ceiling")) {
            list.add(new Pipeline("ceiling-default", "ceiling", Kind.CEILING, 1, 1, Map.of(),
                    "producer, Kafka's defaults, own JVM"));
            list.add(new Pipeline("ceiling", "ceiling", Kind.CEILING, 1, 1, CEILING_TUNED,
                    "producer, " + describe(CEILING_TUNED) + ", own JVM"));
        }
        if (s.runs("peer") && python != null) {
            list.add(new Pipeline("peer", "peer", Kind.PEER, 1, 1, Map.of(),
                    "Python loop: confluent-kafka, avro, pad_sequences, numpy gather; at least once"));
        }
        if (s.runs("e2e")) {
            list.add(new Pipeline("e2e-eos", "e2e", Kind.TOKVEC, 1, 1, Map.of(), "tokvec run, shipped config (exactly_once_v2)"));
            list.add(new Pipeline("e2e-alos", "e2e", Kind.TOKVEC, 1, 1,
                    Map.of(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE), "tokvec run, at_least_once"));
        }
        if (s.runs("bytes")) {
            // float16 as recommended: the table stored in float16 too, so the gather is a plain copy (the
            // same bytes: each value rounded once at build time); and float16 output from the float32 table
            list.add(new Pipeline("e2e-f16", "bytes", Kind.TOKVEC, 1, 1,
                    orderedMap(TokvecConfig.OUTPUT_DTYPE, "float16", TokvecConfig.TABLE_DTYPE, "float16"),
                    "tokvec run, shipped config, tokvec.output.dtype=float16, tokvec.table.dtype=float16"));
            list.add(new Pipeline("e2e-f16-out", "bytes", Kind.TOKVEC, 1, 1, Map.of(TokvecConfig.OUTPUT_DTYPE, "float16"),
                    "tokvec run, shipped config, tokvec.output.dtype=float16 (float32 table)"));
            list.add(new Pipeline("e2e-lz4", "bytes", Kind.TOKVEC, 1, 1,
                    Map.of(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4"), "tokvec run, shipped config, compression.type=lz4"));
            list.add(new Pipeline("e2e-zstd", "bytes", Kind.TOKVEC, 1, 1,
                    Map.of(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd"), "tokvec run, shipped config, compression.type=zstd"));
            for (String codec : List.of("lz4", "zstd")) {
                Map<String, String> settings = new LinkedHashMap<>(CEILING_TUNED);
                settings.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
                list.add(new Pipeline("ceiling-" + codec, "bytes", Kind.CEILING, 1, 1, java.util.Collections.unmodifiableMap(settings),
                        "producer, " + describe(settings) + ", own JVM, tokvec's output records", true));
            }
        }
        if (s.runs("scale")) {
            list.add(new Pipeline("ceiling-2p", "scale", Kind.CEILING, 2, 1, CEILING_TUNED,
                    "producer, " + describe(CEILING_TUNED) + ", 2 partitions"));
            list.add(new Pipeline("e2e-2threads", "scale", Kind.TOKVEC, 2, 1,
                    Map.of(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "2"), "tokvec run, shipped config, 2 partitions, 2 stream threads"));
            list.add(new Pipeline("e2e-2inst", "scale", Kind.TOKVEC, 2, 2, Map.of(),
                    "2 x tokvec run, shipped config, 2 partitions, 1 stream thread each"));
        }
        list.addAll(variants(System.getProperty("tokvec.bench.variants", "")));
        return list;
    }

    /**
     * Extra pipelines for experiments, from the system property {@code tokvec.bench.variants}:
     * {@code kind:name:key=value,key=value;...} with kind {@code ceiling} (producer settings) or
     * {@code e2e} (tokvec config keys on top of the shipped config; {@code jvm=OPTIONS} adds JVM options to its
     * instances, '+' for a space, '~' for a '+'); e.g.
     * {@code -Dtokvec.bench.variants="e2e:eos-1m:producer.batch.size=1048576;ceiling:c-256k:batch.size=262144"}.
     */
    static List<Pipeline> variants(String spec) {
        List<Pipeline> list = new ArrayList<>();
        for (String v : spec.split(";")) {
            if (v.isBlank()) {
                continue;
            }
            String[] f = v.trim().split(":", 3);
            if (f.length < 2) {
                throw new IllegalArgumentException("tokvec.bench.variants: expected kind:name:key=value,... in '" + v + "'");
            }
            Map<String, String> settings = new LinkedHashMap<>();
            if (f.length == 3 && !f[2].isBlank()) {
                for (String kv : f[2].split(",")) {
                    int eq = kv.indexOf('=');
                    settings.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
                }
            }
            int partitions = Integer.parseInt(settings.getOrDefault(TokvecConfig.TOPIC_PARTITIONS, "1"));
            Kind kind = switch (f[0].trim()) {
                case "ceiling" -> Kind.CEILING;
                case "e2e" -> Kind.TOKVEC;
                default -> throw new IllegalArgumentException("tokvec.bench.variants: kind must be ceiling or e2e: '" + v + "'");
            };
            settings.remove(TokvecConfig.TOPIC_PARTITIONS);
            String jvm = settings.remove("jvm");
            if (jvm != null) {
                settings.put(JVM_KEY, jvm.replace('+', ' ').replace("~", "+"));
            }
            int instances = Integer.parseInt(settings.getOrDefault("instances", "1"));
            settings.remove("instances");
            list.add(new Pipeline(f[1].trim(), "variant", kind, partitions, instances, Map.copyOf(settings), "variant: " + describe(settings)));
        }
        return list;
    }

    void run(BenchReport report, java.io.PrintStream progress) throws Exception {
        if (s.runs("peer")) {
            python = findPython();
            if (python == null) {
                report.detail("peer skipped: " + skipPeer);
            }
        }
        List<Pipeline> pipelines = pipelines();
        if (pipelines.isEmpty()) {
            return;
        }
        Files.createDirectories(dir);
        int total = s.e2eWarmup() + s.e2eEvents();
        Map<Pipeline, List<Round>> results = new LinkedHashMap<>();
        pipelines.forEach(p -> results.put(p, new ArrayList<>()));
        boolean outputValues = pipelines.stream().anyMatch(Pipeline::outputValues);
        double brokerStart;
        try (BrokerProcess broker = BrokerProcess.start(dir.resolve("broker"), dir.resolve("logs/broker.log"));
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
             SchemaRegistryClient registry = SchemaRegistries.forConfig(Map.of(SchemaRegistries.URL, broker.registryUrl()))) {
            progress.printf(Locale.ROOT, "  %s%n", broker);
            brokerStart = broker.cpuSeconds();
            Env env = setUp(broker, admin, registry, total, outputValues);
            for (int r = 0; r < s.e2eRounds(); r++) {
                for (int i = 0; i < pipelines.size(); i++) {
                    Pipeline p = pipelines.get((i + r) % pipelines.size());
                    Round round = runRound(env, p, r);
                    results.get(p).add(round);
                    progress.printf(Locale.ROOT, "  round %d %-16s %,8.0f events/s  %,7.0f B/event  pipeline %.2f ms CPU/event,"
                                    + " broker %.2f ms CPU/event, longest gap %d ms%n", r + 1, p.name(), round.eventsPerSecond(),
                            round.meanBytes(), round.pipelineCpuMsPerEvent(), round.brokerCpuMsPerEvent(), round.longestGapMs());
                    progress.printf(Locale.ROOT, "    CPU by thread: %s%n", round.threads());
                    progress.flush();
                }
            }
            report.detail(String.format(Locale.ROOT, "side by side: broker process used %.0f CPU s in all", broker.cpuSeconds() - brokerStart));
            if (env.ceilingValues() != null) {
                report.detail(String.format(Locale.ROOT, "ceiling-lz4, ceiling-zstd: %,d distinct output records (%,.0f B on average) made"
                                + " by tokvec's topology under TopologyTestDriver from events e0..e%d, sent cyclically; the first"
                                + " equals byte for byte the first output tokvec run wrote in %s",
                        env.ceilingValues().count(), env.ceilingValues().meanBytes(), env.ceilingValues().count() - 1,
                        checkedValues.isEmpty() ? "no round (no e2e-lz4 or e2e-zstd ran)" : String.join(", ", checkedValues)));
            }
        } finally {
            Files.deleteIfExists(valuesFile());
        }
        report(report, results, total);
    }

    /**
     * What every round shares: the broker, the registry, the published table, the serialized events,
     * and the compressed ceilings' values (or null).
     */
    private record Env(BrokerProcess broker, Admin admin, SchemaRegistryClient registry, String modelTopic, byte[][] keys,
                       byte[][] values, Path tableNpy, Path inputSchema, int outputSchemaId, OutputValues ceilingValues) {
    }

    /** The file of {@link CeilingValues} the compressed ceilings send, how many, their mean size, and the first. */
    private record OutputValues(Path file, int count, double meanBytes, byte[] first) {
    }

    /** The e2e rounds whose first output was checked against the ceilings' first value. */
    private final List<String> checkedValues = new ArrayList<>();

    private Path valuesFile() {
        return dir.resolve("ceiling-values.bin");
    }

    /**
     * The compressed ceilings' values: the first {@link CeilingValues#MAX_DISTINCT} events (at most as
     * many as a round writes) enriched by tokvec's topology with the config of the tokvec pipelines,
     * on the bench's registry (so the schema id is the one tokvec run writes), into {@link #valuesFile()}.
     */
    private OutputValues outputValues(BrokerProcess broker, SchemaRegistryClient registry, String modelTopic, int total)
            throws IOException {
        int n = Math.min(CeilingValues.MAX_DISTINCT, Math.min(workload.size(), total));
        Path state = TopologyBench.stateDir(dir); // in memory where it can: the driver checkpoints after every record
        try {
            TokvecConfig cfg = new TokvecConfig(tokvecConfigProps(broker, "bench-ceiling-values", "bench-ceiling-values", modelTopic,
                    1, Map.of(), state));
            byte[][] values = CeilingValues.enrich(workload, cfg, registry, n);
            CeilingValues.write(valuesFile(), values);
            return new OutputValues(valuesFile(), n, Arrays.stream(values).mapToLong(v -> v.length).average().orElse(0), values[0]);
        } finally {
            deleteTree(state);
        }
    }

    private Env setUp(BrokerProcess broker, Admin admin, SchemaRegistryClient registry, int total, boolean outputValues)
            throws Exception {
        String modelTopic = "bench-model";
        TokvecConfig cfg = tokvecConfig(broker, "bench-setup", "bench-setup", modelTopic, 1, Map.of());
        Topics.ensureModelTopic(admin, cfg);
        try (ModelPublisher publisher = new ModelPublisher(cfg, registry)) {
            publisher.publish(workload.table(), ModelChunker.DEFAULT_CHUNK_BYTES, Map.of("source", "tokvec bench"), null);
        }
        ConfluentAvroSerializer<TokenEvent> ser = new ConfluentAvroSerializer<>(registry, false);
        byte[][] keys = new byte[total][];
        byte[][] values = new byte[total][];
        byte[][] distinct = new byte[Math.min(total, workload.size())][];
        for (int i = 0; i < distinct.length; i++) {
            distinct[i] = ser.serialize("bench-events", workload.event(i));
        }
        for (int i = 0; i < total; i++) {
            keys[i] = Workload.eventId(i).getBytes(StandardCharsets.UTF_8);
            values[i] = distinct[i % distinct.length];
        }
        Path npy = dir.resolve("table.npy");
        NpyWriter.write(npy, workload.table().rows(), workload.table().dim(), workload.table().data());
        Path schema = dir.resolve("TokenEvent.avsc");
        Files.writeString(schema, TokenEvent.getClassSchema().toString(true));
        int outId = registry.register("bench-peer-output-value", EnrichedEvent.getClassSchema());
        Files.writeString(dir.resolve("EnrichedEvent.avsc"), EnrichedEvent.getClassSchema().toString(true));
        return new Env(broker, admin, registry, modelTopic, keys, values, npy, schema, outId,
                outputValues ? outputValues(broker, registry, modelTopic, total) : null);
    }

    private Round runRound(Env env, Pipeline p, int round) throws Exception {
        String prefix = p.name() + "-r" + (round + 1);
        String in = prefix + "-events";
        String out = prefix + "-out";
        createTopics(env.admin(), p.partitions(), in, out);
        int total = env.keys().length;
        List<ChildProcess> procs = new ArrayList<>();
        Path stateDir = dir.resolve("state").resolve(prefix);
        try {
            double brokerCpu0;
            double cpu0;
            ThreadCpu brokerThreads0;
            ThreadCpu threads0;
            switch (p.kind()) {
                case CEILING -> {
                    brokerCpu0 = env.broker().cpuSeconds();
                    brokerThreads0 = ThreadCpu.of(env.broker().pid());
                    threads0 = ThreadCpu.of(List.of());
                    cpu0 = 0;
                    List<String> args = new ArrayList<>(List.of(env.broker().bootstrapServers(), out, Integer.toString(total),
                            Long.toString(meanOutputBytes())));
                    if (p.outputValues()) {
                        args.addAll(List.of("--values", env.ceilingValues().file().toString()));
                    }
                    p.settings().forEach((k, v) -> args.add(k + "=" + v));
                    procs.add(ChildProcess.start(prefix, ChildProcess.java(List.of(), CeilingProducer.class.getName(), args),
                            dir.resolve("logs").resolve(prefix + ".log")));
                }
                case PEER -> {
                    ChildProcess peer = ChildProcess.start(prefix, peerCommand(env, in, out, total), dir.resolve("logs").resolve(prefix + ".log"));
                    procs.add(peer);
                    peer.awaitLine(PEER_READY, Duration.ofMinutes(2));
                    brokerCpu0 = env.broker().cpuSeconds();
                    brokerThreads0 = ThreadCpu.of(env.broker().pid());
                    threads0 = ThreadCpu.of(peer.pid());
                    cpu0 = peer.cpuSeconds();
                    feed(env, in);
                }
                case TOKVEC -> {
                    String appId = "tokvec-" + prefix;
                    for (int i = 0; i < p.instances(); i++) {
                        Path file = dir.resolve(prefix + "-i" + i + ".properties");
                        Map<String, String> settings = new LinkedHashMap<>(p.settings());
                        List<String> jvm = new ArrayList<>(tokvecJvmOptions());
                        String extra = settings.remove(JVM_KEY);
                        if (extra != null) {
                            jvm.addAll(Arrays.asList(extra.trim().split("\\s+")));
                        }
                        writeConfig(file, tokvecConfigProps(env.broker(), appId, prefix, env.modelTopic(), p.partitions(),
                                settings, stateDir.resolve("i" + i)));
                        procs.add(ChildProcess.start(prefix + "-i" + i, ChildProcess.java(jvm, "io.tokvec.cli.Main",
                                List.of("run", "--config", file.toString())), dir.resolve("logs").resolve(prefix + "-i" + i + ".log")));
                    }
                    awaitTokvecReady(env.admin(), procs, appId, p);
                    brokerCpu0 = env.broker().cpuSeconds();
                    brokerThreads0 = ThreadCpu.of(env.broker().pid());
                    threads0 = ThreadCpu.of(pids(procs));
                    cpu0 = procs.stream().mapToDouble(ChildProcess::cpuSeconds).sum();
                    feed(env, in);
                }
                default -> throw new IllegalStateException();
            }
            OutputTimes times;
            double brokerCpu;
            String threads;
            double tokvecCpu = Double.NaN;
            try (OutputTimes.Reader reader = new OutputTimes.Reader(env.broker().bootstrapServers(), out)) {
                reader.awaitComplete(total, timeout, () -> procs.stream().allMatch(ChildProcess::alive));
                // CPU used until every output was written (the read below is the bench's, not the pipeline's)
                brokerCpu = env.broker().cpuSeconds() - brokerCpu0;
                threads = "broker: " + ThreadCpu.of(env.broker().pid()).topSince(brokerThreads0, 5);
                if (p.kind() != Kind.CEILING) { // the peer may have exited already: then only the broker's
                    threads = p.name() + ": " + ThreadCpu.of(pids(procs)).topSince(threads0, 5) + "; " + threads;
                }
                if (p.kind() == Kind.TOKVEC) {
                    tokvecCpu = procs.stream().mapToDouble(ChildProcess::cpuSeconds).sum() - cpu0;
                }
                times = reader.read(total, s.e2eWarmup(), timeout);
            } catch (IllegalStateException | TimeoutException e) {
                throw new IllegalStateException(p.name() + ": " + e.getMessage() + procs.stream()
                        .map(c -> "\n--- last lines of " + c + ":\n" + c.tail(15)).collect(Collectors.joining()), e);
            }
            double cpu;
            if (p.kind() == Kind.TOKVEC) {
                cpu = tokvecCpu;
                checkTokvecOutput(env, out, times.firstValue());
                checkCeilingValues(env, p, round, times.firstValue());
                checkNoDeadLetters(env, prefix + "-dlq");
            } else {
                ChildProcess c = procs.get(0);
                ChildProcess.checkExit(c, c.awaitExit(Duration.ofMinutes(2)));
                cpu = c.lines().stream().map(CPU::matcher).filter(java.util.regex.Matcher::find).findFirst()
                        .map(m -> Double.parseDouble(m.group(1))).orElse(Double.NaN) - cpu0;
            }
            return new Round(times.eventsPerSecond(), times.meanBytes(), 1e3 * cpu / total, 1e3 * brokerCpu / total,
                    times.longestGapMs(), threads);
        } finally {
            procs.forEach(ChildProcess::close);
            deleteTopics(env.admin(), prefix);
            deleteTree(stateDir);
        }
    }

    private static List<Long> pids(List<ChildProcess> procs) {
        return procs.stream().map(ChildProcess::pid).toList();
    }

    /**
     * JVM options of the tokvec instances: none (as {@code java -jar tokvec.jar run}), or those of the
     * system property {@code tokvec.bench.tokvec.jvm} (space-separated; e.g. to record a JFR profile).
     */
    private static List<String> tokvecJvmOptions() {
        String opts = System.getProperty("tokvec.bench.tokvec.jvm", "").trim();
        return opts.isEmpty() ? List.of() : Arrays.asList(opts.split("\\s+"));
    }

    /**
     * The config a user writes for {@code tokvec run} against one local broker: what
     * {@code config/local.properties} sets (exactly_once_v2, replication factor 1, one stream thread),
     * the bench's topics and a free port for the operations endpoint; nothing tuned.
     */
    Map<String, String> tokvecConfigProps(BrokerProcess broker, String appId, String prefix, String modelTopic, int partitions,
                                          Map<String, String> overrides, Path stateDir) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("bootstrap.servers", broker.bootstrapServers());
        p.put(TokvecConfig.SCHEMA_REGISTRY_URL, broker.registryUrl());
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, "1");
        p.put(TokvecConfig.TOPIC_REPLICATION, "1");
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "1");
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(TokvecConfig.MAX_LEN, Integer.toString(s.maxLen()));
        p.put(TokvecConfig.HTTP_PORT, "0");
        p.put(TokvecConfig.HTTP_BIND, "127.0.0.1");
        p.put(TokvecConfig.TOPIC_INPUT, prefix + "-events");
        p.put(TokvecConfig.TOPIC_OUTPUT, prefix + "-out");
        p.put(TokvecConfig.TOPIC_DLQ, prefix + "-dlq");
        p.put(TokvecConfig.TOPIC_MODEL, modelTopic);
        p.put(TokvecConfig.TOPIC_PARTITIONS, Integer.toString(partitions));
        p.put(TokvecConfig.TABLE, Workload.TABLE);
        p.putAll(overrides);
        return p;
    }

    private TokvecConfig tokvecConfig(BrokerProcess broker, String appId, String prefix, String modelTopic, int partitions,
                                      Map<String, String> overrides) {
        return new TokvecConfig(tokvecConfigProps(broker, appId, prefix, modelTopic, partitions, overrides, dir.resolve("state")));
    }

    private static void writeConfig(Path file, Map<String, String> props) throws IOException {
        StringBuilder sb = new StringBuilder("# written by tokvec bench\n");
        props.forEach((k, v) -> sb.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
        Files.writeString(file, sb.toString());
    }

    /** Waits until every instance answers /health/ready and the group has every stream thread, all partitions assigned. */
    private void awaitTokvecReady(Admin admin, List<ChildProcess> procs, String appId, Pipeline p) throws Exception {
        List<Integer> ports = new ArrayList<>();
        for (ChildProcess c : procs) {
            ports.add(Integer.parseInt(c.awaitLine(OPS_PORT, Duration.ofMinutes(2)).group(1)));
        }
        int threads = Integer.parseInt(p.settings().getOrDefault(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "1"));
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (true) {
            boolean ready = true;
            for (int port : ports) {
                ready &= ready(port);
            }
            if (ready) {
                ConsumerGroupDescription g = admin.describeConsumerGroups(List.of(appId)).all().get(30, TimeUnit.SECONDS).get(appId);
                int assigned = g.members().stream().mapToInt(m -> m.assignment().topicPartitions().size()).sum();
                if (g.groupState() == GroupState.STABLE && g.members().size() == threads * procs.size()
                        && assigned == p.partitions()) {
                    return;
                }
            }
            for (ChildProcess c : procs) {
                if (!c.alive()) {
                    throw new IllegalStateException(c.name() + " exited; last lines:\n" + c.tail(20));
                }
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException(appId + " not ready within 3 minutes; see " + procs.get(0).logFile());
            }
            Thread.sleep(100);
        }
    }

    private boolean ready(int port) {
        try {
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private List<String> peerCommand(Env env, String in, String out, int total) throws IOException {
        Path script = dir.resolve("peer_loop.py");
        if (!Files.exists(script)) {
            try (var res = SideBySideBench.class.getResourceAsStream(PEER_SCRIPT)) {
                if (res == null) {
                    throw new IllegalStateException(PEER_SCRIPT + " is missing from the classpath");
                }
                Files.copy(res, script);
            }
        }
        return List.of(python, script.toString(), "--bootstrap", env.broker().bootstrapServers(), "--input", in, "--output", out,
                "--group", "peer-" + in, "--table", env.tableNpy().toString(), "--input-schema", env.inputSchema().toString(),
                "--events", Integer.toString(total), "--max-len", Integer.toString(s.maxLen()));
    }

    /** Writes every event to {@code topic} from the bench's JVM (small records: well under a second for 30,000). */
    private static void feed(Env env, String topic) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.broker().bootstrapServers());
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "bench-feeder");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 << 10));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < env.keys().length; i++) {
                producer.send(new ProducerRecord<>(topic, env.keys()[i], env.values()[i]));
            }
            producer.flush();
        }
    }

    private static void createTopics(Admin admin, int partitions, String in, String out) throws Exception {
        Map<String, String> outConfig = Map.of(
                TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime",
                TopicConfig.FILE_DELETE_DELAY_MS_CONFIG, "0");
        admin.createTopics(List.of(new NewTopic(in, partitions, (short) 1), new NewTopic(out, partitions, (short) 1).configs(outConfig)))
                .all().get(1, TimeUnit.MINUTES);
    }

    /** Deletes the round's topics: inputs, outputs, dead letters and the application's internal topics. */
    private static void deleteTopics(Admin admin, String prefix) {
        try {
            Collection<String> mine = admin.listTopics().names().get(1, TimeUnit.MINUTES).stream()
                    .filter(t -> t.startsWith(prefix) || t.startsWith("tokvec-" + prefix)).toList();
            admin.deleteTopics(mine).all().get(1, TimeUnit.MINUTES);
        } catch (Exception e) {
            // the next round uses other names; the broker's data dir goes with the work dir
        }
    }

    private void checkTokvecOutput(Env env, String topic, byte[] value) {
        EnrichedEvent e = new ConfluentAvroDeserializer<>(EnrichedEvent.class, env.registry(), false).deserialize(topic, value);
        if (e.getTableVersion() != 1 || e.getIds().size() != s.maxLen()) {
            throw new IllegalStateException(topic + ": unexpected output record " + e.getId() + " v" + e.getTableVersion());
        }
    }

    /**
     * For a tokvec pipeline that differs from the shipped config in its compression only (e2e-lz4,
     * e2e-zstd): its first output (event e0, one partition) must be the compressed ceilings' first
     * value, byte for byte.
     */
    private void checkCeilingValues(Env env, Pipeline p, int round, byte[] first) {
        if (env.ceilingValues() == null || p.partitions() != 1
                || !p.settings().keySet().equals(java.util.Set.of(ProducerConfig.COMPRESSION_TYPE_CONFIG))) {
            return;
        }
        if (!Arrays.equals(first, env.ceilingValues().first())) {
            throw new IllegalStateException(p.name() + ": tokvec run's first output (" + first.length + " B) differs from the"
                    + " compressed ceilings' first value (" + env.ceilingValues().first().length + " B)");
        }
        checkedValues.add(p.name() + " round " + (round + 1));
    }

    private static void checkNoDeadLetters(Env env, String dlq) throws Exception {
        var parts = env.admin().describeTopics(List.of(dlq)).allTopicNames().get(1, TimeUnit.MINUTES).get(dlq).partitions();
        var request = parts.stream().collect(Collectors.toMap(
                i -> new org.apache.kafka.common.TopicPartition(dlq, i.partition()),
                i -> org.apache.kafka.clients.admin.OffsetSpec.latest()));
        long n = env.admin().listOffsets(request).all().get(1, TimeUnit.MINUTES).values().stream()
                .mapToLong(org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo::offset).sum();
        if (n != 0) {
            throw new IllegalStateException(dlq + ": " + n + " events were dead-lettered");
        }
    }

    private long meanOutputBytes() {
        return Math.round(workload.meanOutputBytes(workload.size(), s.maxLen(), s.dim()));
    }

    private String findPython() throws InterruptedException {
        List<String> candidates = s.python() != null ? List.of(s.python()) : List.of("/usr/bin/python3", "python3");
        for (String py : candidates) {
            try {
                Process pr = new ProcessBuilder(py, "-c", "import numpy, confluent_kafka, avro, keras_preprocessing")
                        .redirectErrorStream(true).start();
                pr.getInputStream().readAllBytes();
                if (pr.waitFor(60, TimeUnit.SECONDS) && pr.exitValue() == 0) {
                    return py;
                }
                pr.destroyForcibly();
            } catch (IOException e) {
                // not installed: the next one
            }
        }
        skipPeer = "no python3 with numpy, confluent_kafka, avro and keras_preprocessing found (tried " + candidates
                + "; Debian: apt-get install python3-numpy python3-confluent-kafka python3-avro python3-keras-preprocessing)";
        return null;
    }

    private void report(BenchReport report, Map<Pipeline, List<Round>> results, int total) {
        Map<String, Double> median = new LinkedHashMap<>();
        for (Map.Entry<Pipeline, List<Round>> e : results.entrySet()) {
            Pipeline p = e.getKey();
            List<Round> rounds = e.getValue();
            double eps = Rounds.median(rounds.stream().map(Round::eventsPerSecond).toList());
            double bytes = Rounds.median(rounds.stream().map(Round::meanBytes).toList());
            median.put(p.name(), eps);
            report.add(new BenchReport.Row(p.name(), eps, Double.NaN, eps * bytes / 1e6, String.format(Locale.ROOT,
                    "%s; %,.0f B/record; CPU ms/event: pipeline %.2f, broker %.2f; median of %d rounds", p.what(), bytes,
                    Rounds.median(rounds.stream().map(Round::pipelineCpuMsPerEvent).toList()),
                    Rounds.median(rounds.stream().map(Round::brokerCpuMsPerEvent).toList()), rounds.size())));
            report.detail(String.format(Locale.ROOT, "%s rounds (events/s): %s", p.name(),
                    rounds.stream().map(r -> String.format(Locale.ROOT, "%,.0f", r.eventsPerSecond())).collect(Collectors.joining(", "))));
        }
        report.ceilingSettings = describe(CEILING_TUNED);
        report.ceilingDefault = median.get("ceiling-default");
        report.ceiling = median.get("ceiling");
        report.peer = median.get("peer");
        report.e2eEos = median.get("e2e-eos");
        report.e2eAlos = median.get("e2e-alos");
        report.e2eF16 = median.get("e2e-f16");
        report.e2eLz4 = median.get("e2e-lz4");
        report.e2eZstd = median.get("e2e-zstd");
        report.ceilingLz4 = median.get("ceiling-lz4");
        report.ceilingZstd = median.get("ceiling-zstd");
        report.ceiling2p = median.get("ceiling-2p");
        report.e2e2Threads = median.get("e2e-2threads");
        report.e2e2Instances = median.get("e2e-2inst");
        report.detail(String.format(Locale.ROOT, "side by side: %,d events per round (%,d warmup, rate from the outputs' LogAppendTime"
                        + " of the %,d after them), %d rounds alternating; broker: tokvec broker in its own JVM (defaults); logs under %s",
                total, s.e2eWarmup(), s.e2eEvents(), s.e2eRounds(), dir.resolve("logs")));
    }

    static String describe(Map<String, String> settings) {
        return settings.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "));
    }

    private static Map<String, String> orderedMap(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(m);
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        } catch (IOException | RuntimeException ignored) {
            // best effort
        }
    }
}
