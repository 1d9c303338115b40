package io.tokvec.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TableActivate;
import io.tokvec.avro.TokenEvent;
import io.tokvec.serde.WireFormatException.Reason;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every {@link Reason}, as the deserializer reports it. */
class WireFormatExceptionTest {

    private static final String SCOPE = WireFormatExceptionTest.class.getSimpleName();

    private SchemaRegistryClient registry;
    private ConfluentAvroDeserializer<TokenEvent> deserializer;
    private int tokenEventId;

    @BeforeEach
    void setUp() throws IOException {
        registry = MockSchemaRegistry.getClientForScope(SCOPE);
        tokenEventId = registry.register("in-value", TokenEvent.getClassSchema());
        deserializer = new ConfluentAvroDeserializer<>(TokenEvent.class, registry, false);
    }

    @AfterEach
    void dropScope() {
        MockSchemaRegistry.dropScope(SCOPE);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 4})
    void shouldReportTooShortWhenRecordHasFewerThanFiveBytes(int length) {
        assertThat(failure(new byte[length]).reason()).isEqualTo(Reason.TOO_SHORT);
    }

    @Test
    void shouldReportBadMagicWhenRecordIsJson() {
        WireFormatException e = failure("{\"id\":\"ev-1\",\"token_ids\":[1,2]}".getBytes(StandardCharsets.UTF_8));
        assertThat(e.reason()).isEqualTo(Reason.BAD_MAGIC);
        assertThat(e.schemaId()).isEqualTo(-1);
        assertThat(e).hasMessageContaining("expected magic byte 0, got 0x7b (is this JSON?");
    }

    @Test
    void shouldReportUnknownSchemaWhenRegistryHasNoSuchId() {
        WireFormatException e = failure(SampleRecords.frame(4242, new byte[] {2, 0x61, 0, 0, 0, 0}));
        assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_SCHEMA);
        assertThat(e.schemaId()).isEqualTo(4242);
        assertThat(e).hasMessageContaining("unknown schema id 4242");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",                 // no payload at all
        "7f",               // string length -64
        "0661",             // string of 3 bytes, only 1 present
        "026108",           // union index 4 of a 2-branch union
        "0261020000ffffffffffffffffffff01", // varint longer than 10 bytes
        "026102fefffff70f", // array of ~2^31 ints announced in 5 bytes
    })
    void shouldReportUndecodableWhenPayloadIsGarbageAfterValidHeader(String hex) {
        WireFormatException e = failure(SampleRecords.frame(tokenEventId, hex(hex)));
        assertThat(e.reason()).isEqualTo(Reason.UNDECODABLE);
        assertThat(e.schemaId()).isEqualTo(tokenEventId);
        assertThat(e).hasMessageContaining("io.tokvec.avro.TokenEvent");
    }

    @Test
    void shouldReportUndecodableWhenBytesRemainAfterRecord() {
        TokenEvent event = SampleRecords.tokenEvent("ev", 1, 2);
        byte[] avro = SampleRecords.avroBinary(event);
        byte[] padded = Arrays.copyOf(avro, avro.length + 3);

        WireFormatException e = failure(SampleRecords.frame(tokenEventId, padded));

        assertThat(e.reason()).isEqualTo(Reason.UNDECODABLE);
        assertThat(e).hasMessageContaining("3 trailing byte(s)");
        assertThat(deserializer.deserialize("in", SampleRecords.frame(tokenEventId, avro))).isEqualTo(event);
    }

    @Test
    void shouldReportUndecodableWhenWriterSchemaCannotResolveToReader() throws IOException {
        ModelRecord model = ModelRecord.newBuilder().setTable("t").setVersion(1)
                .setBody(new TableActivate(null)).build();
        int modelId = registry.register("model-value", ModelRecord.getClassSchema());

        WireFormatException e = failure(SampleRecords.frame(modelId, SampleRecords.avroBinary(model)));

        assertThat(e.reason()).isEqualTo(Reason.UNDECODABLE);
        assertThat(e.schemaId()).isEqualTo(modelId);
        assertThat(e).hasMessageContaining("io.tokvec.avro.ModelRecord").hasMessageContaining("io.tokvec.avro.TokenEvent");
    }

    @Test
    void shouldReportRegistryUnavailableWhenRegistryIsDown() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        var down = new ConfluentAvroDeserializer<>(TokenEvent.class);
        down.configure(Map.of(SchemaRegistries.URL, "http://127.0.0.1:" + port,
                SchemaRegistries.REQUEST_TIMEOUT_MS, 2000), false);

        WireFormatException e = catchFailure(down, SampleRecords.frame(7, new byte[] {2, 0x61, 0, 0, 0, 0}));

        assertThat(e.reason()).isEqualTo(Reason.REGISTRY_UNAVAILABLE);
        assertThat(e.isTransient()).isTrue();
        assertThat(e.schemaId()).isEqualTo(7);
        assertThat(e).hasMessageContaining("127.0.0.1:" + port);
    }

    private WireFormatException failure(byte[] bytes) {
        return catchFailure(deserializer, bytes);
    }

    private static WireFormatException catchFailure(ConfluentAvroDeserializer<?> d, byte[] bytes) {
        Throwable[] caught = new Throwable[1];
        assertThatThrownBy(() -> d.deserialize("in", bytes))
                .isInstanceOf(WireFormatException.class)
                .satisfies(t -> caught[0] = t);
        return (WireFormatException) caught[0];
    }

    private static byte[] hex(String s) {
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }
}
