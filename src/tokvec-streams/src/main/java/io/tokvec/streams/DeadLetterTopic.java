package io.tokvec.streams;

import io.tokvec.avro.DeadLetter;
import io.tokvec.config.TokvecConfig;
import io.tokvec.serde.ConfluentAvroSerializer;
import io.tokvec.serde.WireFormatException;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ErrorHandlerContext;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The dead-letter topic as Kafka Streams' exception handlers see it: configured from the streams
 * properties (the topic under {@link StreamsConfig#ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG}, the
 * schema registry under {@code schema.registry.url}), it turns a failed record into a ready
 * {@link DeadLetter} record in the Confluent wire format, so that every record on that topic is a
 * {@code DeadLetter}, whichever handler wrote it.
 *
 * <p>Kafka Streams creates a handler per task and never closes it: the serializer (and its schema
 * registry client) is made when the first dead letter is written, and shared by every handler of the
 * JVM with the same registry settings, so the handlers hold one client between them, not one each.
 */
final class DeadLetterTopic {

    /** One serializer per distinct registry setting in this JVM (see the class comment). */
    private static final Map<String, ConfluentAvroSerializer<DeadLetter>> SERIALIZERS = new ConcurrentHashMap<>();

    private final String topic;
    private final Map<String, Object> configs;
    private volatile ConfluentAvroSerializer<DeadLetter> serializer;

    DeadLetterTopic(Map<String, ?> configs) {
        // tokvec passes its dead-letter topic (tokvec.topic.dlq) to Kafka Streams under this key
        Object t = configs.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
        this.topic = t == null ? TokvecConfig.DEFAULTS.get(TokvecConfig.TOPIC_DLQ) : t.toString();
        this.configs = new HashMap<>(configs);
    }

    private ConfluentAvroSerializer<DeadLetter> serializer() {
        ConfluentAvroSerializer<DeadLetter> s = serializer;
        if (s == null) {
            Map<String, String> registrySettings = new TreeMap<>();
            configs.forEach((k, v) -> {
                if (k.startsWith("schema.registry.") || k.startsWith("basic.auth.")
                        || k.equals(ConfluentAvroSerializer.AUTO_REGISTER_SCHEMAS)) {
                    registrySettings.put(k, String.valueOf(v));
                }
            });
            s = SERIALIZERS.computeIfAbsent(registrySettings.toString(), k -> {
                ConfluentAvroSerializer<DeadLetter> created = new ConfluentAvroSerializer<>();
                created.configure(configs, false);
                return created;
            });
            serializer = s;
        }
        return s;
    }

    String topic() {
        return topic;
    }

    /** A dead letter for the source record of {@code context}: its original key and value bytes, topic, partition, offset. */
    List<ProducerRecord<byte[], byte[]>> records(ErrorHandlerContext context, DeadLetterReason reason, Exception exception) {
        DeadLetters.Source source = new DeadLetters.Source(context.topic(), context.partition(), context.offset(),
                context.timestamp(), context.sourceRawKey(), context.sourceRawValue());
        DeadLetter dl = DeadLetters.of(reason, exception.toString(), source, null, null, null);
        byte[] value = serializer().serialize(topic, dl);
        return List.of(new ProducerRecord<>(topic, null, context.timestamp(), context.sourceRawKey(), value));
    }

    /** A dependency that is down for now (schema registry, broker): retry, never dead-letter. */
    static boolean isTransient(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof WireFormatException w && w.reason() == WireFormatException.Reason.REGISTRY_UNAVAILABLE) return true;
            if (t instanceof RetriableException) return true;
            if (t instanceof InterruptException || t instanceof InterruptedException) return true; // shutting down: not the record's fault
        }
        return false;
    }
}
