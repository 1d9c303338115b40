package io.tokvec.streams;

import io.tokvec.avro.DeadLetter;
import io.tokvec.config.TokvecConfig;
import io.tokvec.serde.ConfluentAvroSerializer;
import io.tokvec.serde.WireFormatException;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Kafka Streams' {@code processing.exception.handler} for tokvec (set by default). Bad input never
 * gets here: the enrichment processor dead-letters it itself. What does get here is unexpected:
 * <ul>
 *   <li>transient failures (schema registry or broker unreachable): FAIL, so the stream thread is
 *       replaced and the record retried from the last committed offset: nothing lost;</li>
 *   <li>anything else (a bug on some input): RESUME with a {@link DeadLetter} of reason
 *       {@link DeadLetterReason#PROCESSING_ERROR} on the dead-letter topic, carrying the source
 *       record's original key and value bytes, topic, partition and offset; processing goes on.</li>
 * </ul>
 */
public final class DeadLetterProcessingExceptionHandler implements ProcessingExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(DeadLetterProcessingExceptionHandler.class);

    private String dlqTopic;
    private ConfluentAvroSerializer<DeadLetter> serializer;

    @Override
    public void configure(Map<String, ?> configs) {
        // tokvec passes its dead-letter topic (tokvec.topic.dlq) to Kafka Streams under this key
        Object topic = configs.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
        dlqTopic = topic == null ? TokvecConfig.DEFAULTS.get(TokvecConfig.TOPIC_DLQ) : topic.toString();
        serializer = new ConfluentAvroSerializer<>();
        serializer.configure(new HashMap<>(configs), false);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
        if (isTransient(exception)) {
            log.warn("transient failure at {}-{}@{}; the record will be retried: {}", context.topic(), context.partition(),
                    context.offset(), exception.toString());
            return Response.fail();
        }
        log.error("unexpected failure at {}-{}@{} in {}; dead-lettered as {}", context.topic(), context.partition(),
                context.offset(), context.processorNodeId(), DeadLetterReason.PROCESSING_ERROR, exception);
        DeadLetters.Source source = new DeadLetters.Source(context.topic(), context.partition(), context.offset(),
                context.timestamp(), context.sourceRawKey(), context.sourceRawValue());
        DeadLetter dl = DeadLetters.of(DeadLetterReason.PROCESSING_ERROR, exception.toString(), source, null, null, null);
        byte[] value = serializer.serialize(dlqTopic, dl);
        return Response.resume(List.of(new ProducerRecord<>(dlqTopic, null, context.timestamp(), context.sourceRawKey(), value)));
    }

    static boolean isTransient(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof WireFormatException w && w.reason() == WireFormatException.Reason.REGISTRY_UNAVAILABLE) return true;
            if (t instanceof RetriableException) return true;
            if (t instanceof InterruptException || t instanceof InterruptedException) return true; // shutting down: not the record's fault
        }
        return false;
    }
}
