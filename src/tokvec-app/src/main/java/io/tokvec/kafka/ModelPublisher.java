package io.tokvec.kafka;

import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TableChunk;
import io.tokvec.avro.TableCommit;
import io.tokvec.avro.TableDeltaChunk;
import io.tokvec.avro.TableDeltaCommit;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.model.ActivationPolicy;
import io.tokvec.model.CommitSigner;
import io.tokvec.model.DeltaChunker;
import io.tokvec.model.ModelChunker;
import io.tokvec.model.ModelKey;
import io.tokvec.model.RetentionPolicy;
import io.tokvec.model.TableRejectedException;
import io.tokvec.model.VersionCatalog;
import io.tokvec.serde.ConfluentAvroDeserializer;
import io.tokvec.serde.ConfluentAvroSerializer;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.config.TokvecConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * Publishes table versions to the model topic with an idempotent producer, and fails loudly: first
 * it reads the model topic once into a {@link VersionCatalog} with the application's own rules, and
 * refuses, before sending anything, a version the application would reject as not newer
 * ({@link Refused}); then it sends the chunks and waits for every one of them, sends the commit only
 * when all chunks are written, and then tombstones the versions the application's
 * {@link RetentionPolicy} drops, waiting for each tombstone too. Any send that fails fails the
 * publish, naming the record. Also writes activate records (rollback), refusing a version that is not
 * committed on the topic.
 *
 * <p>Delta versions ({@link #publishDelta}) are refused before anything is sent when they do not fit
 * their base as the topic holds it: a base not committed or not retained (or a version under it), a
 * dim other than the base's, ids out of range, duplicated or leaving a gap, tokens missing, extra,
 * repeated or already in the base's vocabulary.
 */
public final class ModelPublisher implements AutoCloseable {

    /** What a publish did. */
    public record Result(String table, long version, int rows, int dim, long bytes, int chunks, double seconds,
                         List<Long> removedVersions) {
        public String summary() {
            return String.format("publish: %s v%d: %d rows x %d dim, %.1f MiB in %d chunks, %.2f s%s", table, version, rows, dim,
                    bytes / 1048576.0, chunks, seconds,
                    removedVersions.isEmpty() ? "" : ", removed old versions " + removedVersions);
        }
    }

    /** What a delta publish did. */
    public record DeltaResult(String table, long version, long base, int deltaRows, int appended, int dim, long bytes, int chunks,
                              String contentId, double seconds, List<Long> removedVersions) {
        public String summary() {
            return String.format("publish: %s v%d: delta over v%d: %d rows (%d replaced, %d appended) x %d dim, %.1f MiB in %d chunks,"
                            + " %.2f s, content id %s%s", table, version, base, deltaRows, deltaRows - appended, appended, dim,
                    bytes / 1048576.0, chunks, seconds, contentId,
                    removedVersions.isEmpty() ? "" : ", removed old versions " + removedVersions);
        }
    }

    /**
     * A delta version to publish: {@code ids} in any order, each once, with their rows in the same
     * order ({@code rows}, {@code dim} float32 each), and with a vocabulary one new token per appended
     * row, in id order ({@code tokens}, else null).
     */
    public record Delta(String table, long version, long base, int[] ids, int dim, DeltaChunker.Rows rows, List<String> tokens) {
    }

    /** A publish refused before anything was sent: the application would reject it. */
    public static final class Refused extends RuntimeException {
        public Refused(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * What the model topic holds of one table, read once, by the application's rules: the catalog of
     * the records the application would keep, every chunk key found (refused ones too, so that
     * retention tombstones them), and the other table names seen.
     */
    public static final class TopicState {
        private final VersionCatalog catalog;
        private final Set<String> otherTables = new TreeSet<>();
        private final Set<String> tokenProbe;
        /** Version -> tokens of its chunks found in {@link #tokenProbe}. */
        private final Map<Long, Set<String>> tokensFound = new HashMap<>();

        TopicState(VersionCatalog catalog, Set<String> tokenProbe) {
            this.catalog = catalog;
            this.tokenProbe = tokenProbe;
        }

        public VersionCatalog catalog() { return catalog; }
        /** The highest committed version, or -1. */
        public long newestCommitted() { return catalog.newestCommitted(); }
        /** Other table names with records on the topic. */
        public Set<String> otherTables() { return otherTables; }
    }

    private final TokvecConfig config;
    private final SchemaRegistryClient schemaRegistry;
    private final KafkaProducer<String, ModelRecord> producer;
    private CommitSigner signer;

    public ModelPublisher(TokvecConfig config, SchemaRegistryClient schemaRegistry) {
        this.config = config;
        this.schemaRegistry = schemaRegistry;
        Map<String, Object> p = new HashMap<>(config.clientProps());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "tokvec-publish");
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new ConfluentAvroSerializer<>(schemaRegistry, false));
    }

    /** Signs every commit this publisher writes from now on ({@code publish --sign-key}). */
    public ModelPublisher signWith(CommitSigner signer) {
        this.signer = signer;
        return this;
    }

    /** Hears how many of a version's chunks were sent so far. */
    @FunctionalInterface
    public interface Progress {
        void sent(int chunks, int total);
    }

    /** Reads the model topic and publishes one version ({@link #publish(TopicState, EmbeddingTable, int, Map, Progress)}). */
    public Result publish(EmbeddingTable table, int chunkBytes, Map<String, String> metadata, Progress progress) {
        return publish(scan(table.name()), table, chunkBytes, metadata, progress);
    }

    /**
     * Publishes one version over {@code state} (the model topic read by {@link #scan} beforehand).
     * {@code progress} (may be null) hears every chunk sent.
     *
     * @throws Refused                when the version is not above the newest committed one (nothing is sent)
     * @throws IllegalStateException  when a send fails, naming the record (no commit follows a failed chunk)
     */
    public Result publish(TopicState state, EmbeddingTable table, int chunkBytes, Map<String, String> metadata, Progress progress) {
        checkNewer(state, table.name(), table.version());
        long t0 = System.nanoTime();
        ModelChunker chunker = new ModelChunker(table, chunkBytes);
        sendChunks(chunker.chunks(), chunker.chunkCount(), progress);
        ModelChunker.Keyed commit = chunker.commit(metadata);
        if (signer != null) {
            signer.sign(table.name(), table.version(), (TableCommit) commit.record().getBody());
        }
        sendCommit(state, commit);
        List<Long> removed = removeOldVersions(state, table.name());
        double secs = (System.nanoTime() - t0) / 1e9;
        return new Result(table.name(), table.version(), table.rows(), table.dim(), table.sizeBytes(), chunker.chunkCount(),
                secs, removed);
    }

    /**
     * Checks {@code delta} against its base as {@code state} holds it and makes its records.
     *
     * @throws Refused (one line) when the application would reject it and the topic tells
     */
    public DeltaChunker prepareDelta(TopicState state, Delta delta, int chunkBytes) {
        String what = "table " + delta.table() + ": delta v" + delta.version() + " over v" + delta.base();
        checkNewer(state, delta.table(), delta.version());
        VersionCatalog.Version base = state.catalog.get(delta.base());
        if (base == null || !base.committed()) {
            throw new Refused(what + ": v" + delta.base() + " is not committed on " + config.modelTopic() + " (committed: "
                    + state.catalog.committedVersions() + "); the application would reject it as "
                    + TableRejectedException.Reason.UNKNOWN_BASE);
        }
        for (VersionCatalog.Version v = base; v.isDelta(); ) {
            VersionCatalog.Version under = state.catalog.get(v.base());
            if (under == null || !under.committed()) {
                throw new Refused(what + ": v" + v.base() + ", the base of v" + v.version() + ", is not committed on "
                        + config.modelTopic() + "; the application would reject it as " + TableRejectedException.Reason.UNKNOWN_BASE);
            }
            v = under;
        }
        if (delta.dim() != base.dim()) {
            throw new Refused(what + ": the rows have dim " + delta.dim() + " but v" + delta.base() + " has dim " + base.dim()
                    + "; the application would reject it as " + TableRejectedException.Reason.BASE_MISMATCH);
        }
        DeltaChunker chunker;
        try {
            chunker = new DeltaChunker(delta.table(), delta.version(), new DeltaChunker.Base(delta.base(), base.rows(), base.dim(),
                    base.contentId(), base.hasVocabulary()), delta.ids(), delta.rows(), delta.tokens(), chunkBytes);
        } catch (IllegalArgumentException e) {
            throw new Refused(what + " (" + base.rows() + " x " + base.dim() + (base.hasVocabulary() ? ", with a vocabulary" : "")
                    + "): " + e.getMessage());
        }
        if (delta.tokens() != null && state.tokenProbe != null) {
            for (VersionCatalog.Version v = base; v != null; v = v.isDelta() ? state.catalog.get(v.base()) : null) {
                Set<String> found = state.tokensFound.get(v.version());
                if (found != null && !found.isEmpty()) {
                    throw new Refused(what + ": token '" + found.iterator().next() + "' is in v" + delta.base()
                            + "'s vocabulary already (appended rows bring new tokens); the application would reject it as "
                            + TableRejectedException.Reason.VOCAB_MISMATCH);
                }
            }
        }
        return chunker;
    }

    /** Reads the model topic (probing for the delta's tokens) and publishes a delta version ({@link #publishDelta(TopicState, Delta, int, Map, Progress)}). */
    public DeltaResult publishDelta(Delta delta, int chunkBytes, Map<String, String> metadata, Progress progress) {
        return publishDelta(scan(delta.table(), delta.tokens() == null ? null : new HashSet<>(delta.tokens())), delta, chunkBytes,
                metadata, progress);
    }

    /**
     * Publishes a delta version over {@code state} (read by {@link #scan(String, Set)} with the delta's
     * tokens as the probe, or by {@link #scan(String)} without appended tokens): its delta chunks, every
     * one awaited, then its delta commit (signed when a signer is set), then retention's tombstones.
     *
     * @throws Refused               when the delta does not fit its base (nothing is sent)
     * @throws IllegalStateException when a send fails, naming the record (no commit follows a failed chunk)
     */
    public DeltaResult publishDelta(TopicState state, Delta delta, int chunkBytes, Map<String, String> metadata, Progress progress) {
        DeltaChunker chunker = prepareDelta(state, delta, chunkBytes);
        long t0 = System.nanoTime();
        sendChunks(chunker.chunks(), chunker.chunkCount(), progress);
        ModelChunker.Keyed commit = chunker.commit(metadata);
        TableDeltaCommit body = (TableDeltaCommit) commit.record().getBody();
        if (signer != null) {
            signer.sign(delta.table(), delta.version(), body);
        }
        sendCommit(state, commit);
        List<Long> removed = removeOldVersions(state, delta.table());
        double secs = (System.nanoTime() - t0) / 1e9;
        return new DeltaResult(delta.table(), delta.version(), delta.base(), chunker.deltaRows(), chunker.appendedRows(), delta.dim(),
                (long) chunker.deltaRows() * (Integer.BYTES + (long) delta.dim() * Float.BYTES), chunker.chunkCount(),
                body.getContentId(), secs, removed);
    }

    /** Sends chunks, waiting for every one; a chunk already refused stops the publish at once (no more chunks, no commit). */
    private void sendChunks(Iterator<ModelChunker.Keyed> it, int total, Progress progress) {
        String topic = config.modelTopic();
        List<String> keys = new ArrayList<>();
        List<Future<?>> sent = new ArrayList<>();
        int checked = 0;
        while (it.hasNext()) {
            ModelChunker.Keyed c = it.next();
            keys.add(c.key().topicKey());
            sent.add(producer.send(new ProducerRecord<>(topic, c.key().topicKey(), c.record())));
            if (progress != null) progress.sent(sent.size(), total);
            while (checked < sent.size() && sent.get(checked).isDone()) {
                await(sent.get(checked), "chunk", keys.get(checked));
                checked++;
            }
        }
        producer.flush();
        // The commit goes out only once every chunk is acknowledged (acks=all: by min.insync.replicas replicas). A
        // chunk the producer gave up on (delivery.timeout.ms) fails the publish here, with no commit written, so no
        // part of this version ever becomes active; publishing the version again completes it.
        for (int i = checked; i < sent.size(); i++) {
            await(sent.get(i), "chunk", keys.get(i));
        }
    }

    /** Sends a commit (full or delta), waits for it, and notes it in {@code state} as the application would. */
    private void sendCommit(TopicState state, ModelChunker.Keyed commit) {
        await(producer.send(new ProducerRecord<>(config.modelTopic(), commit.key().topicKey(), commit.record())), "commit",
                commit.key().topicKey());
        try {
            state.catalog.apply(commit.key(), commit.record(), new byte[0], -1);
        } catch (TableRejectedException e) {
            // the application refuses it too (a signature its trusted keys do not accept, say): nothing to retain for it
        }
    }

    /** Reads the model topic and writes an activate record ({@link #activate(TopicState, String, long, String)}). */
    public void activate(String table, long version, String reason) {
        activate(scan(table), table, version, reason);
    }

    /**
     * Writes an activate record for a retained version.
     *
     * @throws Refused when {@code version} is not committed on the model topic (the application would reject it)
     */
    public void activate(TopicState state, String table, long version, String reason) {
        VersionCatalog.Version v = state.catalog.get(version);
        if (v == null || !v.committed()) {
            throw new Refused("table " + table + ": v" + version + " is not committed on " + config.modelTopic()
                    + " (committed: " + state.catalog.committedVersions() + "); the application would reject the activate"
                    + " record as UNKNOWN_VERSION");
        }
        ModelChunker.Keyed a = ModelChunker.activate(table, version, reason);
        await(producer.send(new ProducerRecord<>(config.modelTopic(), a.key().topicKey(), a.record())), "activate record",
                a.key().topicKey());
    }

    /** @throws Refused when {@code version} of {@code table} is not above the newest version committed in {@code state} */
    public void checkNewer(TopicState state, String table, long version) {
        long newest = state.newestCommitted();
        if (newest >= 0 && version <= newest) {
            throw new Refused("table " + table + ": v" + version + " is not above v" + newest + ", the newest version committed on "
                    + config.modelTopic() + "; the application would reject it as "
                    + (version == newest ? TableRejectedException.Reason.DUPLICATE_VERSION : TableRejectedException.Reason.VERSION_NOT_NEWER)
                    + " (publish v" + (newest + 1) + " or higher, or roll back with --activate)");
        }
    }

    /**
     * Reads the model topic from its beginning to its end, once: the records of {@code table} go
     * through a {@link VersionCatalog} with the application's rules ({@code tokvec.table.max.bytes},
     * {@code tokvec.table.trusted.keys}), so that it knows the versions the application keeps.
     */
    public TopicState scan(String table) {
        return scan(table, null);
    }

    /**
     * As {@link #scan(String)}, noting which chunks of which version hold one of the {@code tokenProbe}
     * tokens (null or empty: none; every chunk of the table is decoded for it).
     */
    public TopicState scan(String table, Set<String> tokenProbe) {
        ConfluentAvroDeserializer<ModelRecord> deser = new ConfluentAvroDeserializer<>(ModelRecord.class, schemaRegistry, false);
        TopicState state = new TopicState(new VersionCatalog(table, config.recordBounds(),
                (b, off, len) -> deser.deserialize(config.modelTopic(), b, off, len), config.commitVerifier()),
                tokenProbe == null || tokenProbe.isEmpty() ? null : tokenProbe);
        Map<String, Object> p = new HashMap<>(config.clientProps());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(config.modelTopic());
            List<TopicPartition> parts = infos == null ? List.of()
                    : infos.stream().map(pi -> new TopicPartition(pi.topic(), pi.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    read(state, table, r, deser);
                }
            }
        }
        return state;
    }

    private void read(TopicState state, String table, ConsumerRecord<String, byte[]> r, ConfluentAvroDeserializer<ModelRecord> deser) {
        ModelKey k;
        try {
            k = ModelKey.parse(r.key());
        } catch (IllegalArgumentException e) {
            return; // the application refuses it (BAD_RECORD); nothing of it to retain
        }
        if (!k.table().equals(table)) {
            state.otherTables.add(k.table());
            return;
        }
        if (r.value() == null) {
            state.catalog.remove(k);
            return;
        }
        if (k.kind().chunk()) {
            state.catalog.noteChunk(k, r.offset()); // every chunk key of a version is tombstoned with it, refused ones included
            if (state.tokenProbe != null) {
                probe(state, k, r.value(), deser);
            }
            return;
        }
        try {
            state.catalog.apply(k, deser.deserialize(config.modelTopic(), r.value()), r.value(), r.offset());
        } catch (TableRejectedException | RuntimeException e) {
            // refused or undecodable: the application does not keep it either
        }
    }

    /** Notes the probed tokens a chunk holds. */
    private void probe(TopicState state, ModelKey k, byte[] value, ConfluentAvroDeserializer<ModelRecord> deser) {
        List<String> tokens;
        try {
            Object body = deser.deserialize(config.modelTopic(), value).getBody();
            tokens = body instanceof TableChunk c ? c.getTokens() : body instanceof TableDeltaChunk d ? d.getTokens() : null;
        } catch (RuntimeException e) {
            return; // undecodable: the application does not keep it either
        }
        if (tokens != null) {
            for (String t : tokens) {
                if (state.tokenProbe.contains(t)) {
                    state.tokensFound.computeIfAbsent(k.version(), v -> new TreeSet<>()).add(t);
                }
            }
        }
    }

    /** Sends tombstones for the versions the retention policy drops (chunks and commit), waiting for each; returns them. */
    private List<Long> removeOldVersions(TopicState state, String table) {
        VersionCatalog catalog = state.catalog;
        ActivationPolicy policy = new ActivationPolicy(config.pinnedVersion());
        Set<Long> keep = new HashSet<>();
        ActivationPolicy.Candidate intended = policy.intended(catalog);
        if (intended != null) keep.add(intended.version());
        if (config.pinnedVersion() >= 0) keep.add(config.pinnedVersion());
        SortedSet<Long> victims = new RetentionPolicy(config.retainVersions()).victims(catalog, keep);
        Map<String, Future<?>> sent = new LinkedHashMap<>();
        for (long v : victims) {
            for (ModelKey key : catalog.get(v).keys(table)) {
                sent.put(key.topicKey(), producer.send(new ProducerRecord<>(config.modelTopic(), key.topicKey(), null)));
            }
            catalog.drop(v);
        }
        producer.flush();
        sent.forEach((key, f) -> await(f, "tombstone", key));
        return new ArrayList<>(victims);
    }

    private void await(Future<?> f, String what, String key) {
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending " + what + " " + key, e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            String hint = cause instanceof AuthorizationException
                    ? " (this principal is not allowed to write to the model topic '" + config.modelTopic()
                            + "': publishing needs WRITE on it, see the ACLs of src/site/markdown/operations.md)"
                    : "";
            throw new IllegalStateException("cannot send " + what + " " + key + " to the model topic: " + cause.getMessage() + hint,
                    cause);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(30));
    }
}
