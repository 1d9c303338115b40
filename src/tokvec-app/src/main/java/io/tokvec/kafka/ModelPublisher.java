package io.tokvec.kafka;

import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TableCommit;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.model.CommitSigner;
import io.tokvec.model.ModelChunker;
import io.tokvec.model.ModelKey;
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
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * Publishes table versions to the model topic with an idempotent producer: the chunks, then the
 * commit, then tombstones for versions beyond {@code tokvec.retain.versions} so that the compacted
 * topic stays bounded. Also writes activate records (rollback).
 */
public final class ModelPublisher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ModelPublisher.class);

    /** What a publish did. */
    public record Result(String table, long version, int rows, int dim, long bytes, int chunks, double seconds,
                         List<Long> removedVersions) {
        public String summary() {
            return String.format("publish: %s v%d: %d rows x %d dim, %.1f MiB in %d chunks, %.2f s%s", table, version, rows, dim,
                    bytes / 1048576.0, chunks, seconds,
                    removedVersions.isEmpty() ? "" : ", removed old versions " + removedVersions);
        }
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

    /**
     * Publishes one version. {@code progress} (may be null) hears every chunk sent.
     */
    public Result publish(EmbeddingTable table, int chunkBytes, Map<String, String> metadata, Progress progress) {
        long t0 = System.nanoTime();
        ModelChunker chunker = new ModelChunker(table, chunkBytes);
        String topic = config.modelTopic();
        int sent = 0;
        Iterator<ModelChunker.Keyed> it = chunker.chunks();
        Future<?> last = null;
        while (it.hasNext()) {
            ModelChunker.Keyed c = it.next();
            last = producer.send(new ProducerRecord<>(topic, c.key().topicKey(), c.record()));
            sent++;
            if (progress != null) progress.sent(sent, chunker.chunkCount());
        }
        producer.flush();
        await(last, "chunks");
        ModelChunker.Keyed commit = chunker.commit(metadata);
        if (signer != null) {
            signer.sign(table.name(), table.version(), (TableCommit) commit.record().getBody());
        }
        await(producer.send(new ProducerRecord<>(topic, commit.key().topicKey(), commit.record())), "commit");
        List<Long> removed = removeOldVersions(table.name(), table.version(), config.retainVersions());
        double secs = (System.nanoTime() - t0) / 1e9;
        return new Result(table.name(), table.version(), table.rows(), table.dim(), table.sizeBytes(), chunker.chunkCount(),
                secs, removed);
    }

    /** Writes an activate record for a retained version. */
    public void activate(String table, long version, String reason) {
        ModelChunker.Keyed a = ModelChunker.activate(table, version, reason);
        await(producer.send(new ProducerRecord<>(config.modelTopic(), a.key().topicKey(), a.record())), "activate");
    }

    /**
     * Reads the model topic's current keys and sends tombstones for every chunk and commit of
     * versions older than the newest {@code retain} committed ones (never {@code justPublished}).
     */
    List<Long> removeOldVersions(String table, long justPublished, int retain) {
        Map<Long, Integer> committed = new TreeMap<>(); // version -> chunk count
        Map<Long, java.util.Set<Integer>> chunkKeys = new TreeMap<>();
        ConfluentAvroDeserializer<ModelRecord> deser = new ConfluentAvroDeserializer<>(ModelRecord.class, schemaRegistry, false);
        Map<String, Object> p = new HashMap<>(config.clientProps());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(config.modelTopic()).stream()
                    .map(pi -> new TopicPartition(pi.topic(), pi.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    ModelKey k;
                    try {
                        k = ModelKey.parse(r.key());
                    } catch (IllegalArgumentException e) {
                        continue;
                    }
                    if (!k.table().equals(table) || k.kind() == ModelKey.Kind.ACTIVATE) continue;
                    if (k.kind() == ModelKey.Kind.CHUNK) {
                        if (r.value() == null) chunkKeys.getOrDefault(k.version(), new java.util.HashSet<>()).remove(k.index());
                        else chunkKeys.computeIfAbsent(k.version(), v -> new java.util.HashSet<>()).add(k.index());
                    } else if (r.value() == null) {
                        committed.remove(k.version());
                    } else {
                        try {
                            committed.put(k.version(), ((TableCommit) deser.deserialize(config.modelTopic(), r.value()).getBody()).getChunks());
                        } catch (RuntimeException e) {
                            log.warn("model topic: commit {} does not decode; treated as absent: {}", k, e.getMessage());
                        }
                    }
                }
            }
        }
        List<Long> newestFirst = committed.keySet().stream().sorted((a, b) -> Long.compare(b, a)).toList();
        if (newestFirst.size() <= retain) {
            return List.of();
        }
        long oldestKept = newestFirst.get(retain - 1);
        List<Long> removed = new java.util.ArrayList<>();
        java.util.Set<Long> victims = new java.util.TreeSet<>();
        committed.keySet().stream().filter(v -> v < oldestKept && v != justPublished).forEach(victims::add);
        chunkKeys.keySet().stream().filter(v -> v < oldestKept && v != justPublished).forEach(victims::add);
        for (long v : victims) {
            for (int idx : chunkKeys.getOrDefault(v, java.util.Set.of())) {
                producer.send(new ProducerRecord<>(config.modelTopic(), ModelKey.chunk(table, v, idx).topicKey(), null));
            }
            if (committed.containsKey(v)) {
                producer.send(new ProducerRecord<>(config.modelTopic(), ModelKey.commit(table, v).topicKey(), null));
            }
            removed.add(v);
        }
        producer.flush();
        return removed;
    }

    private void await(Future<?> f, String what) {
        if (f == null) return;
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending " + what, e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            String hint = cause instanceof AuthorizationException
                    ? " (this principal is not allowed to write to the model topic '" + config.modelTopic()
                            + "': publishing needs WRITE on it, see the ACLs of src/site/markdown/operations.md)"
                    : "";
            throw new IllegalStateException("cannot send " + what + " to the model topic: " + cause.getMessage() + hint, cause);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(30));
    }
}
