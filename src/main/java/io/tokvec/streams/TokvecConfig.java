package io.tokvec.streams;

import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.EnrichOptions;
import org.apache.kafka.streams.StreamsConfig;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * tokvec's typed configuration. Every key that does not start with {@code tokvec.} (Kafka Streams,
 * producer, consumer, admin, security, {@code schema.registry.*}) passes through unchanged to the
 * clients tokvec creates. See {@code config/tokvec.properties} for every key with its default.
 */
public final class TokvecConfig {

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
    public static final String RETAIN_VERSIONS = "tokvec.retain.versions";
    public static final String TABLE_MAX_BYTES = "tokvec.table.max.bytes";
    public static final String TABLE_ALLOW_NONFINITE = "tokvec.table.allow.nonfinite";
    public static final String MAX_TOKENS = "tokvec.max.tokens";
    public static final String TOPIC_PARTITIONS = "tokvec.topic.partitions";
    public static final String TOPIC_REPLICATION = "tokvec.topic.replication.factor";

    /** Defaults of every tokvec key that has one ({@code tokvec.max.len} has none: it must be set). */
    public static final Map<String, String> DEFAULTS = Map.ofEntries(
            Map.entry(TOPIC_INPUT, "tokvec-events"),
            Map.entry(TOPIC_OUTPUT, "tokvec-enriched"),
            Map.entry(TOPIC_MODEL, "tokvec-model"),
            Map.entry(TOPIC_DLQ, "tokvec-dlq"),
            Map.entry(TABLE, "embeddings"),
            Map.entry(PADDING, "pre"),
            Map.entry(TRUNCATING, "pre"),
            Map.entry(PAD_VECTOR, "table"),
            Map.entry(OOV, "error"),
            Map.entry(OUTPUT_ENCODING, "bytes"),
            Map.entry(RETAIN_VERSIONS, "2"),
            Map.entry(TABLE_MAX_BYTES, Long.toString(EmbeddingTable.MAX_BYTES)),
            Map.entry(TABLE_ALLOW_NONFINITE, "false"),
            Map.entry(MAX_TOKENS, "100000"),
            Map.entry(TOPIC_PARTITIONS, "1"),
            Map.entry(TOPIC_REPLICATION, "-1"));

    public enum OutputEncoding { BYTES, FLOATS }

    private final Map<String, String> props;
    private final EnrichOptions enrichOptions;

    public TokvecConfig(Map<String, String> props) {
        Map<String, String> all = new HashMap<>(DEFAULTS);
        all.putAll(props);
        this.props = Collections.unmodifiableMap(all);
        this.enrichOptions = new EnrichOptions(intValue(MAX_LEN, null),
                EnrichOptions.Side.parse(PADDING, get(PADDING)),
                EnrichOptions.Side.parse(TRUNCATING, get(TRUNCATING)),
                EnrichOptions.PadVector.parse(PAD_VECTOR, get(PAD_VECTOR)),
                EnrichOptions.OovPolicy.parse(OOV, get(OOV)));
        outputEncoding();
        if (retainVersions() < 1) {
            throw new IllegalArgumentException(RETAIN_VERSIONS + " must be >= 1, got " + retainVersions());
        }
        if (maxTokens() < 1) {
            throw new IllegalArgumentException(MAX_TOKENS + " must be >= 1, got " + maxTokens());
        }
        if (table().isEmpty() || table().contains("/")) {
            throw new IllegalArgumentException(TABLE + " must be a non-empty name without '/', got '" + table() + "'");
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

    public String get(String key) {
        return props.get(key);
    }

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

    /**
     * Kafka Streams properties: pass-through keys plus tokvec's defaults (put only if absent): the
     * processing exception handler that dead-letters unexpected failures, also for the global thread.
     * The dead-letter topic name is passed along for that handler.
     */
    public Properties streamsProps() {
        Properties p = new Properties();
        p.putAll(clientProps());
        p.putIfAbsent(StreamsConfig.APPLICATION_ID_CONFIG, "tokvec");
        p.putIfAbsent(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterProcessingExceptionHandler.class.getName());
        p.putIfAbsent(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, "true");
        p.put(TOPIC_DLQ, dlqTopic());
        return p;
    }

    public String schemaRegistryUrl() {
        String url = get(SCHEMA_REGISTRY_URL);
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException(SCHEMA_REGISTRY_URL + " must be set (http(s)://host:port of a Confluent-compatible registry, or mock://scope)");
        }
        return url;
    }

    public EnrichOptions enrichOptions() { return enrichOptions; }
    public String inputTopic() { return get(TOPIC_INPUT); }
    public String outputTopic() { return get(TOPIC_OUTPUT); }
    public String modelTopic() { return get(TOPIC_MODEL); }
    public String dlqTopic() { return get(TOPIC_DLQ); }
    public String table() { return get(TABLE); }
    public int retainVersions() { return intValue(RETAIN_VERSIONS, null); }
    public long tableMaxBytes() { return longValue(TABLE_MAX_BYTES); }
    public boolean allowNonFinite() { return Boolean.parseBoolean(get(TABLE_ALLOW_NONFINITE)); }
    public int maxTokens() { return intValue(MAX_TOKENS, null); }
    public int topicPartitions() { return intValue(TOPIC_PARTITIONS, null); }
    public short topicReplicationFactor() { return (short) intValue(TOPIC_REPLICATION, null); }

    /** The pinned table version ({@code tokvec.table.version}), or -1 to follow commits and activate records. */
    public long pinnedVersion() {
        String v = get(TABLE_VERSION);
        return v == null || v.isBlank() ? -1 : longValue(TABLE_VERSION);
    }

    public OutputEncoding outputEncoding() {
        String v = get(OUTPUT_ENCODING);
        try {
            return OutputEncoding.valueOf(v.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(OUTPUT_ENCODING + " must be bytes|floats, got '" + v + "'");
        }
    }

    private int intValue(String key, Integer dflt) {
        String v = get(key);
        if (v == null || v.isBlank()) {
            if (dflt != null) return dflt;
            throw new IllegalArgumentException(key + " must be set");
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + v + "'");
        }
    }

    private long longValue(String key) {
        String v = get(key);
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException | NullPointerException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + v + "'");
        }
    }
}
