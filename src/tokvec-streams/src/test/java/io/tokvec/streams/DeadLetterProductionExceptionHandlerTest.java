package io.tokvec.streams;

import io.tokvec.avro.DeadLetter;
import io.tokvec.config.TokvecConfig;
import io.tokvec.serde.ConfluentAvroDeserializer;
import io.tokvec.serde.MockSchemaRegistry;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class DeadLetterProductionExceptionHandlerTest {

    static final String SCOPE = "DeadLetterProductionExceptionHandlerTest";

    @AfterEach
    void drop() {
        MockSchemaRegistry.dropScope(SCOPE);
    }

    private DeadLetterProductionExceptionHandler handler() {
        TokvecConfig config = new TokvecConfig(Map.of(TokvecConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE,
                TokvecConfig.TOPIC_DLQ, "dlq", TokvecConfig.MAX_LEN, "4"));
        Map<String, Object> props = new HashMap<>();
        TokvecTopology.streamsProps(config).forEach((k, v) -> props.put(k.toString(), v));
        assertThat(props).containsEntry("production.exception.handler", DeadLetterProductionExceptionHandler.class.getName());
        DeadLetterProductionExceptionHandler h = new DeadLetterProductionExceptionHandler();
        h.configure(props);
        return h;
    }

    @Test
    void shouldDeadLetterTheSourceRecordWhenTheOutputIsRefusedForGood() {
        ProductionExceptionHandler.Response r = handler().handleError(DeadLetterProcessingExceptionHandlerTest.context(),
                new ProducerRecord<>("out", new byte[1], new byte[2_000_000]), new RecordTooLargeException("too large"));

        assertThat(r.result()).isEqualTo(ProductionExceptionHandler.Result.RESUME);
        assertThat(r.deadLetterQueueRecords()).hasSize(1);
        var pr = r.deadLetterQueueRecords().get(0);
        assertThat(pr.topic()).isEqualTo("dlq");
        assertThat(pr.key()).isEqualTo("key".getBytes());
        DeadLetter d = new ConfluentAvroDeserializer<>(DeadLetter.class, MockSchemaRegistry.getClientForScope(SCOPE), false)
                .deserialize("dlq", pr.value());
        assertThat(d.getReason()).isEqualTo(DeadLetterReason.OUTPUT_REJECTED.name());
        assertThat(d.getMessage()).contains("RecordTooLargeException", "too large");
        assertThat(d.getTopic()).isEqualTo("in");
        assertThat(d.getPartition()).isEqualTo(3);
        assertThat(d.getOffset()).isEqualTo(42);
        assertThat(d.getValue()).isEqualTo(ByteBuffer.wrap(new byte[] {0, 1, 2}));
    }

    @Test
    void shouldRetryWhenTheFailureIsTransient() {
        ProductionExceptionHandler.Response r = handler().handleError(DeadLetterProcessingExceptionHandlerTest.context(),
                new ProducerRecord<>("out", new byte[1], new byte[1]), new NotLeaderOrFollowerException("moving"));

        assertThat(r.result()).isEqualTo(ProductionExceptionHandler.Result.RETRY);
        assertThat(r.deadLetterQueueRecords()).isEmpty();
    }

    @Test
    void shouldFailRatherThanLoopWhenTheDeadLetterItselfIsRefused() {
        ProductionExceptionHandler.Response r = handler().handleError(DeadLetterProcessingExceptionHandlerTest.context(),
                new ProducerRecord<>("dlq", new byte[1], new byte[1]), new RecordTooLargeException("too large"));

        assertThat(r.result()).isEqualTo(ProductionExceptionHandler.Result.FAIL);
    }
}
