package io.tokvec.streams;

import io.tokvec.config.TokvecConfig;
import io.tokvec.serde.MockSchemaRegistry;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DefaultProductionExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Output records are serialized into arrays each stream thread reuses ({@code OutputArrays}). Kafka
 * Streams hands the serialized record it sent to the production exception handler from the
 * producer's send callback, after the stream thread went on and may have written a later record
 * into the same array. These tests fail if a handler tokvec reuses arrays with reads that array into
 * the dead-letter record it returns, or if reuse stays on with a handler or interceptor not known to
 * leave the array alone.
 */
class OutputArrayReuseSafetyTest {

    static final String SCOPE = "OutputArrayReuseSafetyTest";

    @AfterEach
    void drop() {
        MockSchemaRegistry.dropScope(SCOPE);
    }

    private static TokvecConfig config(Map<String, String> extra) {
        Map<String, String> m = new HashMap<>(Map.of(TokvecConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE,
                TokvecConfig.TOPIC_DLQ, "dlq", TokvecConfig.MAX_LEN, "4"));
        m.putAll(extra);
        return new TokvecConfig(m);
    }

    private static Map<String, Object> configs(Properties p) {
        Map<String, Object> m = new HashMap<>();
        p.forEach((k, v) -> m.put(k.toString(), v));
        return m;
    }

    /** The dead letters {@code handler} returns for a refused record whose value is {@code sent}. */
    private static List<ProducerRecord<byte[], byte[]>> deadLetters(ProductionExceptionHandler handler, ErrorHandlerContext context, byte[] sent) {
        ProductionExceptionHandler.Response r = handler.handleError(context, new ProducerRecord<>("out", null, 1000L, new byte[] {7}, sent),
                new RecordTooLargeException("too large"));
        return r.deadLetterQueueRecords();
    }

    /** The dead letter {@code handler} returns is built without the sent array: unchanged when the array is reused. */
    private static void assertUntouchedByReuse(ProductionExceptionHandler handler) {
        ErrorHandlerContext context = DeadLetterProcessingExceptionHandlerTest.context();
        byte[] sent = new byte[66_000];
        Arrays.fill(sent, (byte) 1);
        List<ProducerRecord<byte[], byte[]>> dl = deadLetters(handler, context, sent);
        assertThat(dl).hasSize(1);
        byte[] key = dl.get(0).key().clone();
        byte[] value = dl.get(0).value().clone();

        // the stream thread writes its next record of that length into the same array
        Arrays.fill(sent, (byte) 2);

        assertThat(dl.get(0).key()).isNotSameAs(sent).isEqualTo(key);
        assertThat(dl.get(0).value()).isNotSameAs(sent).isEqualTo(value);
        // and the dead letter is the same whatever the sent value held: it is built from the source record
        byte[] other = new byte[66_000];
        Arrays.fill(other, (byte) 3);
        ProducerRecord<byte[], byte[]> again = deadLetters(handler, context, other).get(0);
        assertThat(again.key()).isEqualTo(key).isEqualTo(context.sourceRawKey());
        assertThat(again.value()).isEqualTo(value);
    }

    @Test
    void shouldNotReadTheSentArrayInTokvecsProductionHandler() {
        DeadLetterProductionExceptionHandler h = new DeadLetterProductionExceptionHandler();
        h.configure(configs(TokvecTopology.streamsProps(config(Map.of()))));
        assertUntouchedByReuse(h);
    }

    @Test
    void shouldNotReadTheSentArrayInKafkasDefaultProductionHandlerWithADeadLetterTopic() {
        DefaultProductionExceptionHandler h = new DefaultProductionExceptionHandler();
        h.configure(configs(TokvecTopology.streamsProps(config(Map.of()))));
        assertUntouchedByReuse(h);
        byte[] sent = new byte[8];
        assertThat(deadLetters(h, DeadLetterProcessingExceptionHandlerTest.context(), sent).get(0).value())
                .isEqualTo(DeadLetterProcessingExceptionHandlerTest.context().sourceRawValue());
    }

    @Test
    void shouldReuseOutputArraysWithTheShippedHandlersOnly() {
        assertThat(TokvecTopology.outputArraysReusable(TokvecTopology.streamsProps(config(Map.of())))).isTrue();
        assertThat(TokvecTopology.outputArraysReusable(TokvecTopology.streamsProps(config(Map.of(
                StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DefaultProductionExceptionHandler.class.getName())))))
                .isTrue();
        Properties classValued = TokvecTopology.streamsProps(config(Map.of()));
        classValued.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterProductionExceptionHandler.class);
        assertThat(TokvecTopology.outputArraysReusable(classValued)).isTrue();
    }

    @Test
    void shouldGiveEveryRecordAFreshArrayWithAnotherHandlerOrAProducerInterceptor() {
        Properties custom = TokvecTopology.streamsProps(config(Map.of()));
        custom.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, "com.example.LoggingHandler");
        assertThat(TokvecTopology.outputArraysReusable(custom)).isFalse();

        for (String key : List.of(ProducerConfig.INTERCEPTOR_CLASSES_CONFIG, "producer." + ProducerConfig.INTERCEPTOR_CLASSES_CONFIG)) {
            Properties intercepted = TokvecTopology.streamsProps(config(Map.of()));
            intercepted.put(key, "com.example.Audit");
            assertThat(TokvecTopology.outputArraysReusable(intercepted)).as(key).isFalse();
            intercepted.put(key, List.of());
            assertThat(TokvecTopology.outputArraysReusable(intercepted)).as(key + " empty").isTrue();
        }
    }
}
