package io.tokvec.streams;

import io.tokvec.model.ModelStore;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * Kafka Streams' {@code processing.exception.handler} for tokvec (set by default). Bad input never
 * gets here: the enrichment processor dead-letters it itself. What does get here is unexpected:
 * <ul>
 *   <li>transient failures (schema registry or broker unreachable): FAIL, so the stream thread is
 *       replaced and the record retried from the last committed offset: nothing lost;</li>
 *   <li>a failure of a model store's processor (the global thread; {@code tokvec-model-processor}, or a
 *       store failure of any enrichment's): FAIL. Model records never get
 *       here (the table registry rejects bad ones itself); what does is the store failing, and the
 *       application then stops visibly ({@code run} exits non-zero) rather than serving on with a store
 *       that no longer matches the model topic;</li>
 *   <li>anything else (a bug on some input): RESUME with a {@code DeadLetter} of reason
 *       {@link DeadLetterReason#PROCESSING_ERROR} on the dead-letter topic, carrying the source
 *       record's original key and value bytes, topic, partition and offset; processing goes on.</li>
 * </ul>
 */
public final class DeadLetterProcessingExceptionHandler implements ProcessingExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(DeadLetterProcessingExceptionHandler.class);

    private DeadLetterTopic deadLetters;

    @Override
    public void configure(Map<String, ?> configs) {
        deadLetters = new DeadLetterTopic(configs);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
        if (DeadLetterTopic.isTransient(exception)) {
            log.warn("transient failure at {}-{}@{}; the record will be retried: {}", context.topic(), context.partition(),
                    context.offset(), exception.toString());
            return Response.fail();
        }
        if (TokvecTopology.MODEL_PROCESSOR.equals(context.processorNodeId()) || isStoreFailure(exception)) {
            log.error("the model store's processor failed at {}-{}@{}; the application stops", context.topic(),
                    context.partition(), context.offset(), exception);
            return Response.fail();
        }
        log.error("unexpected failure at {}-{}@{} in {}; dead-lettered as {}", context.topic(), context.partition(),
                context.offset(), context.processorNodeId(), DeadLetterReason.PROCESSING_ERROR, exception);
        return Response.resume(deadLetters.records(context, DeadLetterReason.PROCESSING_ERROR, exception));
    }

    /** The model store failed (what any enrichment's model processor lets through, whatever its name). */
    private static boolean isStoreFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ModelStore.StoreException) return true;
        }
        return false;
    }
}
