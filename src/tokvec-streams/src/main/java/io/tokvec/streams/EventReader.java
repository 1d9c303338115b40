package io.tokvec.streams;

import io.tokvec.avro.TokenEvent;
import io.tokvec.serde.WireFormatException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * How the enrichment reads the {@link TokenEvent} of one input record, and what its dead letters keep
 * of the record: raw wire-format bytes decoded here (so that undecodable records reach the dead
 * letters with their original bytes: the standalone application's input), or typed values mapped by
 * the user's {@link EventMapper} (a {@code KStream<K, TokenEvent>} is the identity mapping).
 */
abstract class EventReader<K, V> {

    /** Bad input: the record goes to the dead letters with this reason and message. */
    static final class Unreadable extends Exception {
        final DeadLetterReason reason;

        Unreadable(DeadLetterReason reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
        }
    }

    /**
     * The event of the record, or null when its value is (or decodes to) null.
     *
     * @throws Unreadable when the value is bad input
     */
    abstract TokenEvent read(String topic, K key, V value) throws Unreadable;

    /** The value's bytes as they came in, for a dead letter; null when only a typed value is known. */
    byte[] valueBytes(V value) {
        return value instanceof byte[] b ? b : null;
    }

    /** The key's bytes as they came in, for a dead letter; null when only a typed key is known. */
    byte[] keyBytes(K key) {
        return key instanceof byte[] b ? b : null;
    }

    /**
     * At most the bytes the key takes on the wire, for the output size bound: its length for bytes, three
     * bytes per char for a string (UTF-8's most), 0 for other types (their serializer is the user's).
     */
    long keySizeBound(K key) {
        if (key instanceof byte[] b) return b.length;
        if (key instanceof CharSequence s) return 3L * s.length();
        return 0;
    }

    /** Values in the Confluent wire format, decoded here: a record that does not decode is bad input. */
    static <K> EventReader<K, byte[]> wireFormat(Deserializer<TokenEvent> deserializer) {
        return new EventReader<>() {
            @Override
            TokenEvent read(String topic, K key, byte[] value) throws Unreadable {
                if (value == null) {
                    return null;
                }
                try {
                    return deserializer.deserialize(topic, value);
                } catch (WireFormatException e) {
                    if (e.reason() == WireFormatException.Reason.REGISTRY_UNAVAILABLE) {
                        throw e; // not the record's fault: Kafka Streams' handlers retry it
                    }
                    throw new Unreadable(switch (e.reason()) {
                        case BAD_MAGIC -> DeadLetterReason.BAD_MAGIC;
                        case UNKNOWN_SCHEMA -> DeadLetterReason.UNKNOWN_SCHEMA;
                        default -> DeadLetterReason.UNDECODABLE;
                    }, e.getMessage());
                } catch (RuntimeException e) {
                    throw new Unreadable(DeadLetterReason.UNDECODABLE, String.valueOf(e.getMessage()));
                }
            }
        };
    }

    /** Typed values through the user's mapper: a mapper that throws has met bad input. */
    static <K, V> EventReader<K, V> mapped(EventMapper<K, V> mapper) {
        return new EventReader<>() {
            @Override
            TokenEvent read(String topic, K key, V value) throws Unreadable {
                try {
                    return mapper.toEvent(key, value);
                } catch (RuntimeException e) {
                    throw new Unreadable(DeadLetterReason.MAPPING_FAILED, "the event mapper failed: " + e);
                }
            }
        };
    }
}
