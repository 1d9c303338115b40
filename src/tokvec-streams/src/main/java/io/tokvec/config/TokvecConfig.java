package io.tokvec.config;

import io.tokvec.core.EnrichOptions;
import io.tokvec.core.MappedTableMemory;
import io.tokvec.core.Pooling;
import io.tokvec.core.TableDtype;
import io.tokvec.model.CommitVerifier;
import io.tokvec.model.ModelKey;
import io.tokvec.model.RecordBounds;
import io.tokvec.model.SigningKeys;
import io.tokvec.model.TableRegistry;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.CaseInsensitiveValidString;
import org.apache.kafka.common.config.ConfigDef.LambdaValidator;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * tokvec's typed configuration, declared in one Kafka {@link ConfigDef} ({@link #CONFIG}) with a
 * type, validator, default and doc for every {@code tokvec.*} key. Every key that does not start
 * with {@code tokvec.} (Kafka Streams, producer, consumer, admin, security, {@code schema.registry.*})
 * passes through unchanged to the clients tokvec creates. See {@code config/tokvec.properties} for
 * every key with its default.
 */
public final class TokvecConfig extends AbstractConfig {

    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String TOPIC_INPUT = "tokvec.topic.input";
    public static final String TOPIC_OUTPUT = "tokvec.topic.output";
    public static final String TOPIC_MODEL = "tokvec.topic.model";
    public static final String TOPIC_DLQ = "tokvec.topic.dlq";
    public static final String TABLE = "tokvec.table";
    public static final String TABLE_VERSION = "tokvec.table.version";
    public static final String MAX_LEN = "tokvec.max.len";
    public static final String PADDING = "tokvec.padding";
    public static final String TRUNCATING = "tokvec.truncating";
    public static final String PAD_VECTOR = "tokvec.pad.vector";
    public static final String OOV = "tokvec.oov";
    public static final String OUTPUT_ENCODING = "tokvec.output.encoding";
    public static final String POOLING = "tokvec.pooling";
    public static final String OUTPUT_SEQUENCE = "tokvec.output.sequence";
    public static final String OOV_BUCKETS = "tokvec.oov.buckets";
    public static final String HASHING_BINS = "tokvec.hashing.bins";
    public static final String HASHING_MASK = "tokvec.hashing.mask";
    public static final String RETAIN_VERSIONS = "tokvec.retain.versions";
    public static final String DELTA_MAX_CHAIN = "tokvec.delta.max.chain";
    public static final String DELTA_FOLD_OVERLAY_RATIO = "tokvec.delta.fold.overlay.ratio";
    public static final String DELTA_FOLD_MAX_BYTES_PER_SECOND = "tokvec.delta.fold.max.bytes.per.second";
    public static final String TABLE_MAX_BYTES = "tokvec.table.max.bytes";
    public static final String TABLE_ALLOW_NONFINITE = "tokvec.table.allow.nonfinite";
    public static final String TABLE_DTYPE = "tokvec.table.dtype";
    public static final String TABLE_MEMORY_BYTES = "tokvec.table.memory.bytes";
    public static final String OUTPUT_DTYPE = "tokvec.output.dtype";
    public static final String OUTPUT_ARRAY_CACHE_BYTES = "tokvec.output.array.cache.bytes";
    public static final String MAX_TOKENS = "tokvec.max.tokens";
    public static final String TOPIC_PARTITIONS = "tokvec.topic.partitions";
    public static final String TOPIC_REPLICATION = "tokvec.topic.replication.factor";
    public static final String TOPIC_MIN_ISR = "tokvec.topic.min.insync.replicas";
    public static final String TABLE_TRUSTED_KEYS = "tokvec.table.trusted.keys";
    public static final String HTTP_PORT = "tokvec.http.port";
    public static final String HTTP_BIND = "tokvec.http.bind";
    public static final String VERSION_CATCHUP_TIMEOUT_MS = "tokvec.version.catchup.timeout.ms";
    public static final String REGISTRY_RETRY_TIMEOUT_MS = "tokvec.registry.retry.timeout.ms";
    public static final String REGISTRY_RETRY_BACKOFF_MAX_MS = "tokvec.registry.retry.backoff.max.ms";
    public static final String STARTUP_CHECK_TIMEOUT_MS = "tokvec.startup.check.timeout.ms";

    private static final String GROUP_TOPICS = "Topics";
    private static final String GROUP_ENRICH = "Enrichment (Keras semantics)";
    private static final String GROUP_TABLE = "Table versions";
    private static final String GROUP_OPS = "Operations endpoint";
    private static final String GROUP_SCALE = "Scaling out and recovery";
    private static final String GROUP_STARTUP = "Startup";

    /** Every tokvec key: type, default, validator and doc. */
    public static final ConfigDef CONFIG = new ConfigDef()
            .define(TOPIC_INPUT, Type.STRING, "tokvec-events", new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "Input topic: TokenEvent records (token ids or token strings).", GROUP_TOPICS, 1, ConfigDef.Width.MEDIUM, TOPIC_INPUT)
            .define(TOPIC_OUTPUT, Type.STRING, "tokvec-enriched", new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "Output topic: EnrichedEvent records (or EnrichedEventFloats with tokvec.output.encoding=floats).",
                    GROUP_TOPICS, 2, ConfigDef.Width.MEDIUM, TOPIC_OUTPUT)
            .define(TOPIC_MODEL, Type.STRING, "tokvec-model", new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "Model topic: table chunks, commits and activate records (one partition, compacted).",
                    GROUP_TOPICS, 3, ConfigDef.Width.MEDIUM, TOPIC_MODEL)
            .define(TOPIC_DLQ, Type.STRING, "tokvec-dlq", new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "Dead-letter topic: DeadLetter records. Passed to Kafka Streams as "
                            + StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG
                            + " so its exception handlers and tokvec's write to the same topic.",
                    GROUP_TOPICS, 4, ConfigDef.Width.MEDIUM, TOPIC_DLQ)
            .define(TOPIC_PARTITIONS, Type.INT, 1, Range.atLeast(1), Importance.LOW,
                    "Partitions of the input, output and dead-letter topics when tokvec creates them (the model topic always has one).",
                    GROUP_TOPICS, 5, ConfigDef.Width.SHORT, TOPIC_PARTITIONS)
            .define(TOPIC_REPLICATION, Type.INT, -1, Range.atLeast(-1), Importance.LOW,
                    "Replication factor of the topics tokvec creates; -1 takes the broker's default.replication.factor."
                            + " Production: 3.",
                    GROUP_TOPICS, 6, ConfigDef.Width.SHORT, TOPIC_REPLICATION)
            .define(TOPIC_MIN_ISR, Type.INT, -1, Range.atLeast(-1), Importance.LOW,
                    "min.insync.replicas of the topics tokvec creates; -1 takes the broker's min.insync.replicas. With"
                            + " acks=all (what exactly_once_v2 and publish use) a write waits until this many replicas"
                            + " have it; below that, writes wait and are retried rather than acknowledged. Production: 2"
                            + " with a replication factor of 3.",
                    GROUP_TOPICS, 7, ConfigDef.Width.SHORT, TOPIC_MIN_ISR)
            .define(MAX_LEN, Type.INT, ConfigDef.NO_DEFAULT_VALUE, Range.between(1, EnrichOptions.MAX_MAX_LEN), Importance.HIGH,
                    "Length of every output sequence (pad_sequences maxlen). Must be set.",
                    GROUP_ENRICH, 1, ConfigDef.Width.SHORT, MAX_LEN)
            .define(PADDING, Type.STRING, "pre", oneOf("pre", "post"), Importance.MEDIUM,
                    "Where padding goes when an event is shorter: pre (Keras' default) or post.",
                    GROUP_ENRICH, 2, ConfigDef.Width.SHORT, PADDING)
            .define(TRUNCATING, Type.STRING, "pre", oneOf("pre", "post"), Importance.MEDIUM,
                    "pre keeps the last max_len tokens (Keras' default), post the first.",
                    GROUP_ENRICH, 3, ConfigDef.Width.SHORT, TRUNCATING)
            .define(PAD_VECTOR, Type.STRING, "table", oneOf("table", "zeros"), Importance.MEDIUM,
                    "Vector at padded positions: table (row 0, as Keras) or zeros (as PyTorch's padding_idx row).",
                    GROUP_ENRICH, 4, ConfigDef.Width.SHORT, PAD_VECTOR)
            .define(OOV, Type.STRING, "error", oneOf("error", "unk"), Importance.MEDIUM,
                    "Ids outside the table: error dead-letters the event (reason ID_OUT_OF_RANGE), unk maps them to the OOV row 1.",
                    GROUP_ENRICH, 5, ConfigDef.Width.SHORT, OOV)
            .define(MAX_TOKENS, Type.INT, 100_000, Range.atLeast(1), Importance.LOW,
                    "Events with more tokens are dead-lettered (TOO_MANY_TOKENS) before any work is done.",
                    GROUP_ENRICH, 6, ConfigDef.Width.SHORT, MAX_TOKENS)
            .define(OUTPUT_ENCODING, Type.STRING, "bytes", oneOf("bytes", "floats"), Importance.MEDIUM,
                    "bytes: embeddings as little-endian float32 bytes (EnrichedEvent); floats: array<float> (EnrichedEventFloats).",
                    GROUP_ENRICH, 7, ConfigDef.Width.SHORT, OUTPUT_ENCODING)
            .define(POOLING, Type.STRING, "none", oneOf("none", "sum", "mean", "max", "sqrtn"),
                    Importance.MEDIUM,
                    "Adds the pooled vector (field 'pooled', float32 [dim]) over the kept tokens with id != 0: sum, mean "
                            + "and max as PyTorch's nn.EmbeddingBag(mode=...), sqrtn = sum / sqrt(count) (TF's "
                            + "safe_embedding_lookup_sparse combiner); zeros when no token is kept; none adds nothing. "
                            + "Events may carry per-token 'weights' (EmbeddingBag per_sample_weights) with sum only.",
                    GROUP_ENRICH, 8, ConfigDef.Width.SHORT, POOLING)
            .define(OUTPUT_SEQUENCE, Type.BOOLEAN, true, Importance.LOW,
                    "false leaves the [max_len, dim] embeddings out (empty bytes or an empty list); ids, mask and pooled stay.",
                    GROUP_ENRICH, 9, ConfigDef.Width.SHORT, OUTPUT_SEQUENCE)
            .define(OOV_BUCKETS, Type.INT, 1, Range.atLeast(1), Importance.LOW,
                    "OOV rows of the vocabulary, as StringLookup(mask_token='', num_oov_indices=N): rows 1..N; with N > 1 "
                            + "a token not in the vocabulary maps to 1 + (FarmHash Fingerprint64(token) mod N). The "
                            + "vocabulary must list its OOV token at rows 1..N, as get_vocabulary() does.",
                    GROUP_ENRICH, 10, ConfigDef.Width.SHORT, OOV_BUCKETS)
            .define(HASHING_BINS, Type.INT, 0, LambdaValidator.with(TokvecConfig::validateHashingBins, () -> "0, or at least 2"),
                    Importance.LOW,
                    "0: string tokens go through the table's vocabulary. N >= 2: they are hashed as Keras Hashing(num_bins=N) "
                            + "into a table of exactly N rows without vocabulary.",
                    GROUP_ENRICH, 11, ConfigDef.Width.SHORT, HASHING_BINS)
            .define(HASHING_MASK, Type.BOOLEAN, true, Importance.LOW,
                    "With tokvec.hashing.bins: true is Hashing(num_bins, mask_value=''), '' -> 0 and other tokens -> "
                            + "1 + (fingerprint mod (N - 1)); false is Hashing(num_bins), fingerprint mod N (a token in "
                            + "bin 0 is then masked like padding).",
                    GROUP_ENRICH, 12, ConfigDef.Width.SHORT, HASHING_MASK)
            .define(OUTPUT_DTYPE, Type.STRING, "float32", oneOf("float32", "float16"), Importance.MEDIUM,
                    "Element type of the output embeddings bytes: float32 ('<f4') or float16 ('<f2', half the size; values "
                            + "rounded to nearest even as numpy's astype(np.float16)). The record's dtype field names it. "
                            + "float16 needs tokvec.output.encoding=bytes. With float16 output, set tokvec.table.dtype=float16 "
                            + "too: the same embeddings bytes (each value rounded once, when the table is built, instead of "
                            + "per event), a plain copy per row and half the table memory (tokvec.pooling then pools the "
                            + "stored float16 values).",
                    GROUP_ENRICH, 13, ConfigDef.Width.SHORT, OUTPUT_DTYPE)
            .define(OUTPUT_ARRAY_CACHE_BYTES, Type.LONG, 64L << 20, Range.atLeast(0), Importance.LOW,
                    "Each stream thread of the application writes output records into arrays it keeps, one per record"
                            + " length, and hands the producer the same array again for its next record of that length (the"
                            + " producer copies it into its batch before the next record is written) instead of a fresh"
                            + " array per record: at most this many bytes of arrays per thread (and at most a sixteenth of"
                            + " the heap); 0 gives every record a fresh array. Arrays are reused only while nothing reads a"
                            + " sent record afterwards: with tokvec's or Kafka's default production.exception.handler and no"
                            + " producer interceptor.classes; otherwise every record gets a fresh array.",
                    GROUP_ENRICH, 14, ConfigDef.Width.SHORT, OUTPUT_ARRAY_CACHE_BYTES)
            .define(TABLE, Type.STRING, "embeddings", LambdaValidator.with(TokvecConfig::validateTableName,
                            () -> "a non-empty name without '/'"), Importance.HIGH,
                    "Name of the embedding table this application serves (model topic keys are name/version/...).",
                    GROUP_TABLE, 1, ConfigDef.Width.MEDIUM, TABLE)
            .define(TABLE_VERSION, Type.LONG, null, Importance.MEDIUM,
                    "Pin this table version; unset follows commits and activate records.",
                    GROUP_TABLE, 2, ConfigDef.Width.SHORT, TABLE_VERSION)
            .define(RETAIN_VERSIONS, Type.INT, 2, Range.atLeast(1), Importance.MEDIUM,
                    "Committed versions kept for rollback: the newest N by number (whether or not they built), what is"
                            + " newer, and the active, intended and pinned versions; older ones are deleted from the store,"
                            + " and publish (which applies the same policy) tombstones them on the model topic.",
                    GROUP_TABLE, 3, ConfigDef.Width.SHORT, RETAIN_VERSIONS)
            .define(TABLE_MAX_BYTES, Type.LONG, 0L, Range.atLeast(0), Importance.MEDIUM,
                    "Largest table (rows x dim x bytes of tokvec.table.dtype) a version may have; larger versions are "
                            + "rejected (TOO_LARGE). 0 = 40% of the machine's physical memory, so that the active version "
                            + "and the one being built fit together.",
                    GROUP_TABLE, 4, ConfigDef.Width.SHORT, TABLE_MAX_BYTES)
            .define(TABLE_MEMORY_BYTES, Type.LONG, 0L, Range.atLeast(0), Importance.MEDIUM,
                    "Off-heap bytes all table versions held at once may take (the active one plus the one being built); "
                            + "a build that does not fit, or finds no disk for its mapped file, is rejected (OUT_OF_MEMORY) "
                            + "and the active version stays. 0 = 85% of the machine's physical memory.",
                    GROUP_TABLE, 5, ConfigDef.Width.SHORT, TABLE_MEMORY_BYTES)
            .define(TABLE_DTYPE, Type.STRING, "float32", oneOf("float32", "float16", "bfloat16"),
                    Importance.MEDIUM,
                    "Element type the table is stored in: float32 (exact), float16 or bfloat16 (half the memory; every "
                            + "value rounded once to nearest even, output as the exact float32 of the stored value).",
                    GROUP_TABLE, 6, ConfigDef.Width.SHORT, TABLE_DTYPE)
            .define(TABLE_ALLOW_NONFINITE, Type.BOOLEAN, false, Importance.LOW,
                    "Accept tables holding NaN or infinite values (rejected as NON_FINITE by default).",
                    GROUP_TABLE, 7, ConfigDef.Width.SHORT, TABLE_ALLOW_NONFINITE)
            .define(TABLE_TRUSTED_KEYS, Type.LIST, "", Importance.HIGH,
                    "Comma-separated PEM files of Ed25519 public keys (-----BEGIN PUBLIC KEY-----, one or more per file). "
                            + "When set, a table version becomes active only if its commit is signed by one of them; "
                            + "unsigned or wrongly signed commits are rejected (UNSIGNED, BAD_SIGNATURE). Empty: no signature needed.",
                    GROUP_TABLE, 8, ConfigDef.Width.LONG, TABLE_TRUSTED_KEYS)
            .define(DELTA_FOLD_OVERLAY_RATIO, Type.DOUBLE, TableRegistry.DEFAULT_FOLD_OVERLAY_RATIO, Range.atLeast(0.0),
                    Importance.LOW,
                    "The active delta version is folded, in the background, into a dense table of its own (one copy of the "
                            + "whole table, swapped in under the same version) once its overlay is larger than this fraction of "
                            + "that table: the rows of the deltas over its dense root, rows a later delta replaced included, "
                            + "plus their index. A lookup costs one probe of the index whatever the chain, so a fold buys back "
                            + "the overlay's memory and a shorter replay after a restart. At 0.1 a fold comes after deltas worth a "
                            + "tenth of the table at the earliest (unless tokvec.delta.max.chain comes first): it copies about 10 "
                            + "bytes per byte of deltas, and the overlay holds at most a tenth of the table. 0 folds after every delta.",
                    GROUP_TABLE, 9, ConfigDef.Width.SHORT, DELTA_FOLD_OVERLAY_RATIO)
            .define(DELTA_MAX_CHAIN, Type.INT, TableRegistry.DEFAULT_MAX_CHAIN, Range.between(1, 1024), Importance.LOW,
                    "The active delta version is also folded once more than this many deltas lie over its dense root, "
                            + "however small they are: a restart reads and verifies each delta above the root again, and copies "
                            + "the overlay's index once per delta, so this bounds that replay. At one delta a second, 256 means a "
                            + "fold every 4 minutes at most.",
                    GROUP_TABLE, 10, ConfigDef.Width.SHORT, DELTA_MAX_CHAIN)
            .define(DELTA_FOLD_MAX_BYTES_PER_SECOND, Type.LONG, 200_000_000L, Range.atLeast(0), Importance.LOW,
                    "Bytes a second a fold copies the table at, at most (its own thread sleeps between blocks of rows), so "
                            + "that it takes less of the memory bandwidth and CPU the stream threads use; the fold lasts "
                            + "longer (3.6 GB at 200000000 takes 18 s), the overlay serving meanwhile. With a fold of a "
                            + "3.6 GB table under load, the p99 latency of that minute was 1.65x the p99 without deltas at "
                            + "200000000, 4.24x unpaced (bench --parts delta). 0 = as fast as it can.",
                    GROUP_TABLE, 11, ConfigDef.Width.SHORT, DELTA_FOLD_MAX_BYTES_PER_SECOND)
            .define(HTTP_PORT, Type.INT, -1, Range.between(-1, 65535), Importance.MEDIUM,
                    "Port of the operations endpoint (/health/live, /health/ready, /metrics, /tables); -1 turns it off, 0 picks a free port.",
                    GROUP_OPS, 1, ConfigDef.Width.SHORT, HTTP_PORT)
            .define(HTTP_BIND, Type.STRING, "0.0.0.0", new ConfigDef.NonEmptyString(), Importance.LOW,
                    "Address the operations endpoint listens on: 0.0.0.0 (all interfaces, what a container needs) or e.g. 127.0.0.1.",
                    GROUP_OPS, 2, ConfigDef.Width.MEDIUM, HTTP_BIND)
            .define(VERSION_CATCHUP_TIMEOUT_MS, Type.LONG, 5_000L, Range.atLeast(0), Importance.MEDIUM,
                    "Versions never go back within a partition: when a partition comes to an instance whose active table is"
                            + " older (by model-topic order) than the newest one already used for that partition, its records"
                            + " wait in place, at most this long, for the table to catch up. After that they are dead-lettered"
                            + " (VERSION_BEHIND, original bytes kept) until it does. Keep it below transaction.timeout.ms"
                            + " (10 s under exactly_once_v2) and max.poll.interval.ms.",
                    GROUP_SCALE, 1, ConfigDef.Width.SHORT, VERSION_CATCHUP_TIMEOUT_MS)
            .define(REGISTRY_RETRY_TIMEOUT_MS, Type.LONG, 60_000L, Range.atLeast(0), Importance.MEDIUM,
                    "A schema-registry call that fails for a transient reason (unreachable, timeout, HTTP 5xx/408/429) is"
                            + " retried in place for up to this long; then the stream thread fails and is replaced. Model"
                            + " records (the global thread) are retried until the registry answers.",
                    GROUP_SCALE, 2, ConfigDef.Width.SHORT, REGISTRY_RETRY_TIMEOUT_MS)
            .define(REGISTRY_RETRY_BACKOFF_MAX_MS, Type.LONG, 500L, Range.atLeast(1), Importance.LOW,
                    "Longest pause between two attempts of a failing schema-registry call (the pause starts at 50 ms and"
                            + " doubles): processing resumes at most this long after the registry answers again.",
                    GROUP_SCALE, 3, ConfigDef.Width.SHORT, REGISTRY_RETRY_BACKOFF_MAX_MS)
            .define(STARTUP_CHECK_TIMEOUT_MS, Type.LONG, 10_000L, Range.atLeast(0), Importance.MEDIUM,
                    "run and publish first check the Kafka cluster (bootstrap.servers) and an http(s) schema.registry.url:"
                            + " each must accept a TCP connection within this long (tried again meanwhile), then answer a"
                            + " request within the clients' own timeouts (default.api.timeout.ms, schema.registry.request.timeout.ms)"
                            + " without refusing the login or the TLS handshake; otherwise they stop with one line naming what"
                            + " failed (exit status 1). 0 skips the checks.",
                    GROUP_STARTUP, 1, ConfigDef.Width.SHORT, STARTUP_CHECK_TIMEOUT_MS);

    /** Defaults of every tokvec key that has one ({@code tokvec.max.len} has none: it must be set), as strings. */
    public static final Map<String, String> DEFAULTS = defaults();

    public enum OutputEncoding { BYTES, FLOATS }

    private final Map<String, String> props;
    private final EnrichOptions enrichOptions;

    /**
     * @throws ConfigException naming the key and the value when a tokvec key is missing or invalid
     */
    public TokvecConfig(Map<String, String> props) {
        super(CONFIG, withDlqFromStreams(props), false);
        Map<String, String> all = new HashMap<>(DEFAULTS);
        all.putAll(withDlqFromStreams(props));
        this.props = Collections.unmodifiableMap(all);
        this.enrichOptions = new EnrichOptions(getInt(MAX_LEN),
                EnrichOptions.Side.parse(PADDING, getString(PADDING)),
                EnrichOptions.Side.parse(TRUNCATING, getString(TRUNCATING)),
                EnrichOptions.PadVector.parse(PAD_VECTOR, getString(PAD_VECTOR)),
                EnrichOptions.OovPolicy.parse(OOV, getString(OOV)),
                Pooling.Mode.parse(POOLING, getString(POOLING)), getBoolean(OUTPUT_SEQUENCE),
                new EnrichOptions.Strings(getInt(OOV_BUCKETS), getInt(HASHING_BINS), getBoolean(HASHING_MASK)));
        if (outputDtype() == TableDtype.FLOAT16 && outputEncoding() == OutputEncoding.FLOATS) {
            throw new ConfigException(OUTPUT_DTYPE, getString(OUTPUT_DTYPE), "float16 output needs " + OUTPUT_ENCODING
                    + "=bytes (array<float> carries float32)");
        }
    }

    public static TokvecConfig of(Properties p) {
        Map<String, String> m = new HashMap<>();
        for (String k : p.stringPropertyNames()) {
            m.put(k, p.getProperty(k));
        }
        return new TokvecConfig(m);
    }

    /** Loads a properties file; clear error if missing. */
    public static Properties load(Path file) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read config file " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        return p;
    }

    /** The raw string of any key, tokvec's (default filled in) or passed through; null if unset. */
    public String property(String key) {
        return props.get(key);
    }

    /** Every key as given, tokvec defaults filled in. */
    public Map<String, String> all() {
        return props;
    }

    /** Every key that is not tokvec's own: what Kafka clients and the serdes receive. */
    public Map<String, Object> clientProps() {
        Map<String, Object> m = new HashMap<>();
        props.forEach((k, v) -> {
            if (!k.startsWith("tokvec.")) {
                m.put(k, v);
            }
        });
        return m;
    }

    public String schemaRegistryUrl() {
        String url = property(SCHEMA_REGISTRY_URL);
        if (url == null || url.isBlank()) {
            throw new ConfigException(SCHEMA_REGISTRY_URL + " must be set (http(s)://host:port of a Confluent-compatible registry, or mock://scope)");
        }
        return url;
    }

    public EnrichOptions enrichOptions() { return enrichOptions; }
    public String inputTopic() { return getString(TOPIC_INPUT); }
    public String outputTopic() { return getString(TOPIC_OUTPUT); }
    public String modelTopic() { return getString(TOPIC_MODEL); }
    public String dlqTopic() { return getString(TOPIC_DLQ); }
    public String table() { return getString(TABLE); }
    public int retainVersions() { return getInt(RETAIN_VERSIONS); }
    public int deltaMaxChain() { return getInt(DELTA_MAX_CHAIN); }
    public double deltaFoldOverlayRatio() { return getDouble(DELTA_FOLD_OVERLAY_RATIO); }
    public long deltaFoldMaxBytesPerSecond() { return getLong(DELTA_FOLD_MAX_BYTES_PER_SECOND); }
    /** {@code tokvec.table.max.bytes}, with 0 resolved to 40% of the physical memory. */
    public long tableMaxBytes() {
        long v = getLong(TABLE_MAX_BYTES);
        return v > 0 ? v : MappedTableMemory.physicalMemoryFraction(0.40);
    }

    /** {@code tokvec.table.memory.bytes}, with 0 resolved to 85% of the physical memory. */
    public long tableMemoryBytes() {
        long v = getLong(TABLE_MEMORY_BYTES);
        return v > 0 ? v : MappedTableMemory.defaultBudget();
    }

    public TableDtype tableDtype() { return TableDtype.parse(TABLE_DTYPE, getString(TABLE_DTYPE)); }

    /** The bounds every model record is checked against: {@link #tableMaxBytes()} in {@link #tableDtype()}. */
    public RecordBounds recordBounds() { return new RecordBounds(tableMaxBytes(), tableDtype()); }

    /**
     * The verifier of {@code tokvec.table.trusted.keys} (reads the key files), or null when the key is empty.
     *
     * @throws ConfigException naming the key when a file cannot be read or holds no Ed25519 public key
     */
    public CommitVerifier commitVerifier() {
        List<String> files = trustedKeyFiles();
        if (files.isEmpty()) {
            return null;
        }
        List<PublicKey> keys = new ArrayList<>();
        for (String f : files) {
            try {
                keys.addAll(SigningKeys.readPublicKeys(Path.of(f.trim())));
            } catch (IOException e) {
                throw new ConfigException(TABLE_TRUSTED_KEYS, f, "cannot read trusted keys: " + e.getMessage());
            }
        }
        return new CommitVerifier(keys);
    }
    public TableDtype outputDtype() { return TableDtype.parse(OUTPUT_DTYPE, getString(OUTPUT_DTYPE)); }

    /** {@code tokvec.output.array.cache.bytes}, at most a sixteenth of the maximum heap. */
    public long outputArrayCacheBytes() {
        return Math.min(getLong(OUTPUT_ARRAY_CACHE_BYTES), Runtime.getRuntime().maxMemory() / 16);
    }

    /**
     * Where table versions are mapped and their verified snapshots kept:
     * {@code <state.dir>/<application.id>/tokvec-tables}, next to Kafka Streams' own state.
     */
    public Path tableDir() {
        String stateDir = property(StreamsConfig.STATE_DIR_CONFIG);
        if (stateDir == null || stateDir.isBlank()) {
            stateDir = Path.of(System.getProperty("java.io.tmpdir"), "kafka-streams").toString();
        }
        String appId = property(StreamsConfig.APPLICATION_ID_CONFIG);
        return Path.of(stateDir, appId == null || appId.isBlank() ? "tokvec" : appId, "tokvec-tables");
    }

    public boolean allowNonFinite() { return getBoolean(TABLE_ALLOW_NONFINITE); }
    public int maxTokens() { return getInt(MAX_TOKENS); }
    public int topicPartitions() { return getInt(TOPIC_PARTITIONS); }
    public short topicReplicationFactor() { return getInt(TOPIC_REPLICATION).shortValue(); }
    public int topicMinInsyncReplicas() { return getInt(TOPIC_MIN_ISR); }
    /** Files of trusted public keys; empty when signatures are not required. */
    public List<String> trustedKeyFiles() { return getList(TABLE_TRUSTED_KEYS); }
    /** Port of the operations endpoint, or -1 when it is off. */
    public int httpPort() { return getInt(HTTP_PORT); }
    public String httpBind() { return getString(HTTP_BIND); }
    public long versionCatchupTimeoutMs() { return getLong(VERSION_CATCHUP_TIMEOUT_MS); }
    public long registryRetryTimeoutMs() { return getLong(REGISTRY_RETRY_TIMEOUT_MS); }
    public long registryRetryBackoffMaxMs() { return getLong(REGISTRY_RETRY_BACKOFF_MAX_MS); }
    /** {@code tokvec.startup.check.timeout.ms}: how long run and publish wait for the cluster and the registry to answer; zero skips the checks. */
    public Duration startupCheckTimeout() { return Duration.ofMillis(getLong(STARTUP_CHECK_TIMEOUT_MS)); }

    /**
     * The producer's {@code max.request.size} as Kafka Streams' producer gets it ({@code producer.}
     * prefix first, then the plain key, then the producer default): no record larger than this can be
     * written, so the processor dead-letters such outputs before sending them.
     */
    public int maxRequestSize() {
        String v = property(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG));
        if (v == null) v = property(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        if (v == null) return (Integer) ProducerConfig.configDef().defaultValues().get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, v, "must be an integer");
        }
    }

    /** The pinned table version ({@code tokvec.table.version}), or -1 to follow commits and activate records. */
    public long pinnedVersion() {
        Long v = getLong(TABLE_VERSION);
        return v == null ? -1 : v;
    }

    public OutputEncoding outputEncoding() {
        return OutputEncoding.valueOf(getString(OUTPUT_ENCODING).trim().toUpperCase(Locale.ROOT));
    }

    /** Kafka Streams' own dead-letter key names the topic when {@code tokvec.topic.dlq} is not set. */
    private static Map<String, String> withDlqFromStreams(Map<String, String> props) {
        String streamsDlq = props.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
        if (props.containsKey(TOPIC_DLQ) || streamsDlq == null || streamsDlq.isBlank()) {
            return props;
        }
        Map<String, String> m = new HashMap<>(props);
        m.put(TOPIC_DLQ, streamsDlq);
        return m;
    }

    /** One of {@code values}, in any case; described as the values in their order (the reference lists them so). */
    private static ConfigDef.Validator oneOf(String... values) {
        CaseInsensitiveValidString valid = CaseInsensitiveValidString.in(values);
        return LambdaValidator.with(valid::ensureValid, () -> String.join(", ", values) + " (any case)");
    }

    private static void validateHashingBins(String name, Object value) {
        int bins = value == null ? 0 : (Integer) value;
        if (bins != 0 && bins < 2) {
            throw new ConfigException(name, value, "must be 0 (use the vocabulary) or >= 2 (Keras Hashing num_bins)");
        }
    }

    private static void validateTableName(String name, Object value) {
        String problem = ModelKey.tableNameProblem(value == null ? "" : value.toString());
        if (problem != null) {
            throw new ConfigException(name, value, problem);
        }
    }

    private static Map<String, String> defaults() {
        Map<String, String> m = new LinkedHashMap<>();
        CONFIG.configKeys().forEach((name, key) -> {
            if (key.hasDefault() && key.defaultValue != null) {
                m.put(name, ConfigDef.convertToString(key.defaultValue, key.type));
            }
        });
        return Collections.unmodifiableMap(m);
    }
}
