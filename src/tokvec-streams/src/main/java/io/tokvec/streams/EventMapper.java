package io.tokvec.streams;

import io.tokvec.avro.TokenEvent;

/**
 * Turns a record of the user's own type into the {@link TokenEvent} to enrich: its id, its token ids
 * or token strings (exactly one of them), and optionally weights, a timestamp and metadata, which the
 * enriched record carries on. For example, words of a text:
 *
 * <pre>{@code
 * EventMapper<String, Message> mapper = (key, message) -> TokenEvent.newBuilder()
 *         .setId(key)
 *         .setTokens(List.of(message.text().toLowerCase(Locale.ROOT).split("\\s+")))
 *         .build();
 * }</pre>
 *
 * A mapper that throws sends the record to the dead letters ({@link DeadLetterReason#MAPPING_FAILED},
 * the exception in the message); one that returns null sends it there as
 * {@link DeadLetterReason#NULL_VALUE}. Records that should not be enriched at all are filtered out
 * before the enrichment.
 *
 * @param <K> the record key
 * @param <V> the record value
 */
@FunctionalInterface
public interface EventMapper<K, V> {

    /** The event of one record; called once per record, on the stream thread. */
    TokenEvent toEvent(K key, V value);
}
