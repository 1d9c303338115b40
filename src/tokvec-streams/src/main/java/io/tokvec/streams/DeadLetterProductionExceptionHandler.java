package io.tokvec.streams;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * Kafka Streams' {@code production.exception.handler} for tokvec (set by default): a record the
 * producer or its serializer refuses for good (an enriched record over the broker's or producer's
 * size limit, say: {@code max_len x dim x 4} bytes plus ids and mask) is not lost: its source record
 * goes to the dead-letter topic as a {@code DeadLetter} of reason
 * {@link DeadLetterReason#OUTPUT_REJECTED}, with the original bytes, and processing goes on.
 * Transient failures (broker or schema registry unreachable) are retried. Kafka's default handler
 * would instead write the raw source bytes to the dead-letter topic, which holds DeadLetter records
 * only.
 */
public final class DeadLetterProductionExceptionHandler implements ProductionExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(DeadLetterProductionExceptionHandler.class);

    private DeadLetterTopic deadLetters;

    @Override
    public void configure(Map<String, ?> configs) {
        deadLetters = new DeadLetterTopic(configs);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
        return handle(context, record.topic(), exception);
    }

    @Override
    public Response handleSerializationError(ErrorHandlerContext context, ProducerRecord record, Exception exception,
                                             SerializationExceptionOrigin origin) {
        return handle(context, record.topic(), exception);
    }

    private Response handle(ErrorHandlerContext context, String topic, Exception exception) {
        if (DeadLetterTopic.isTransient(exception)) {
            log.warn("transient failure writing to {} for {}-{}@{}; retrying: {}", topic, context.topic(),
                    context.partition(), context.offset(), exception.toString());
            return Response.retry();
        }
        if (deadLetters.topic().equals(topic)) {
            // the dead letter itself cannot be written: never loop, fail so that nothing is skipped silently
            log.error("cannot write a dead letter to {} for {}-{}@{}", topic, context.topic(), context.partition(),
                    context.offset(), exception);
            return Response.fail();
        }
        log.warn("record for {} from {}-{}@{} refused ({}); dead-lettered as {}", topic, context.topic(),
                context.partition(), context.offset(), exception.toString(), DeadLetterReason.OUTPUT_REJECTED);
        return Response.resume(deadLetters.records(context, DeadLetterReason.OUTPUT_REJECTED, exception));
    }
}
