package io.tokvec.bench;

import io.tokvec.avro.EnrichedEvent;
import io.tokvec.serde.ConfluentAvroSerializer;
import io.tokvec.serde.MockSchemaRegistry;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class OutputRecorderTest {

    @Test
    void shouldReadTheTableVersionAndTheSizeOfAnEnrichedRecordWithoutDecodingIt() {
        String scope = "output-recorder-test-" + System.nanoTime();
        try {
            ConfluentAvroSerializer<EnrichedEvent> ser = new ConfluentAvroSerializer<>(MockSchemaRegistry.getClientForScope(scope), false);
            OutputRecorder.ValueSize sizes = new OutputRecorder.ValueSize(true);
            for (String id : List.of("d", "d12345", "x".repeat(300))) { // one- and two-byte length varints
                for (long version : new long[] {1, 2, 63, 64, 1_000_000}) {
                    byte[] value = ser.serialize("out", EnrichedEvent.newBuilder().setId(id).setTable("embeddings").setTableVersion(version)
                            .setIds(List.of(3, 0)).setMask(List.of(true, false)).setLength(1).setTruncated(false).setDim(1)
                            .setEmbeddings(ByteBuffer.wrap(new byte[8])).build());
                    ByteBuffer inFetch = ByteBuffer.allocate(value.length + 7).position(7).put(value).position(7); // a view, as the consumer passes
                    long read = sizes.deserialize("out", null, inFetch);
                    assertThat(read >>> 32).as("version of %s v%d", id, version).isEqualTo(version);
                    assertThat((int) read).isEqualTo(value.length);
                    assertThat(sizes.deserialize("out", value)).isEqualTo(read);
                }
            }
            assertThat(new OutputRecorder.ValueSize(false).deserialize("out", sizes.first) >>> 32).as("sizes only").isZero();
        } finally {
            MockSchemaRegistry.dropScope(scope);
        }
    }
}
