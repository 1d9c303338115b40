package io.tokvec.streams;

import io.tokvec.config.TokvecConfig;

import io.tokvec.avro.DeadLetter;
import io.tokvec.serde.ConfluentAvroDeserializer;
import io.tokvec.serde.MockSchemaRegistry;
import io.tokvec.serde.WireFormatException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class DeadLetterProcessingExceptionHandlerTest {

    static final String SCOPE = "DeadLetterProcessingExceptionHandlerTest";

    @AfterEach
    void drop() {
        MockSchemaRegistry.dropScope(SCOPE);
    }

    static ErrorHandlerContext context() {
        return new ErrorHandlerContext() {
            @Override public String topic() { return "in"; }
            @Override public int partition() { return 3; }
            @Override public long offset() { return 42; }
            @Override public org.apache.kafka.common.header.Headers headers() { return new RecordHeaders(); }
            @Override public String processorNodeId() { return TokvecTopology.ENRICH_PROCESSOR; }
            @Override public TaskId taskId() { return new TaskId(0, 3); }
            @Override public long timestamp() { return 1000; }
            @Override public byte[] sourceRawKey() { return "key".getBytes(); }
            @Override public byte[] sourceRawValue() { return new byte[] {0, 1, 2}; }
        };
    }

    private DeadLetterProcessingExceptionHandler handler() {
        DeadLetterProcessingExceptionHandler h = new DeadLetterProcessingExceptionHandler();
        // configured as Kafka Streams configures it: from the streams properties tokvec builds
        TokvecConfig config = new TokvecConfig(Map.of(TokvecConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE,
                TokvecConfig.TOPIC_DLQ, "dlq", TokvecConfig.MAX_LEN, "4"));
        Map<String, Object> props = new java.util.HashMap<>();
        TokvecTopology.streamsProps(config).forEach((k, v) -> props.put(k.toString(), v));
        h.configure(props);
        return h;
    }

    @Test
    void shouldDeadLetterAnUnexpectedExceptionWithTheOriginalBytes() {
        ProcessingExceptionHandler.Response r = handler().handleError(context(), new Record<>("k", "v", 1000),
                new IllegalStateException("boom"));
        assertThat(r.result()).isEqualTo(ProcessingExceptionHandler.Result.RESUME);
        assertThat(r.deadLetterQueueRecords()).hasSize(1);
        var pr = r.deadLetterQueueRecords().get(0);
        assertThat(pr.topic()).isEqualTo("dlq");
        DeadLetter d = new ConfluentAvroDeserializer<>(DeadLetter.class, MockSchemaRegistry.getClientForScope(SCOPE), false)
                .deserialize("dlq", pr.value());
        assertThat(d.getReason()).isEqualTo("PROCESSING_ERROR");
        assertThat(d.getMessage()).contains("boom");
        assertThat(d.getTopic()).isEqualTo("in");
        assertThat(d.getPartition()).isEqualTo(3);
        assertThat(d.getOffset()).isEqualTo(42L);
        assertThat(d.getValue()).isEqualTo(ByteBuffer.wrap(new byte[] {0, 1, 2}));
        assertThat(d.getKey()).isEqualTo(ByteBuffer.wrap("key".getBytes()));
    }

    @Test
    void shouldFailSoTheRecordIsRetriedWhenTheFailureIsTransient() {
        DeadLetterProcessingExceptionHandler h = handler();
        assertThat(h.handleError(context(), new Record<>("k", "v", 1), new TimeoutException("broker")).result())
                .isEqualTo(ProcessingExceptionHandler.Result.FAIL);
        WireFormatException down = new WireFormatException(WireFormatException.Reason.REGISTRY_UNAVAILABLE, -1, "registry down", null);
        assertThat(h.handleError(context(), new Record<>("k", "v", 1), new RuntimeException(down)).result())
                .isEqualTo(ProcessingExceptionHandler.Result.FAIL);
    }
}
