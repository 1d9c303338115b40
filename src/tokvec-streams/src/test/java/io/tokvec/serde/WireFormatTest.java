package io.tokvec.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class WireFormatTest {

    @Test
    void shouldPutMagicByteAndBigEndianIdBeforePayloadWhenFraming() {
        byte[] framed = WireFormat.frame(0x01020304, new byte[] {9, 8});

        assertThat(framed).containsExactly(0, 1, 2, 3, 4, 9, 8);
        assertThat(WireFormat.HEADER_SIZE).isEqualTo(5);
        assertThat(WireFormat.MAGIC_BYTE).isEqualTo((byte) 0);
    }

    @Test
    void shouldReadIdBackWhenIdUsesAllBits() {
        assertThat(WireFormat.schemaId(WireFormat.frame(Integer.MAX_VALUE, new byte[0]))).isEqualTo(Integer.MAX_VALUE);
        assertThat(WireFormat.schemaId(WireFormat.frame(-2, new byte[] {1}))).isEqualTo(-2);
        assertThat(WireFormat.schemaId(new byte[] {0, 0, 0, 1, (byte) 0xff})).isEqualTo(511);
    }

    @Test
    void shouldFailWithTooShortWhenFewerThanFiveBytes() {
        assertThatThrownBy(() -> WireFormat.schemaId(new byte[] {0, 0, 0, 1}))
                .isInstanceOfSatisfying(WireFormatException.class, e -> {
                    assertThat(e.reason()).isEqualTo(WireFormatException.Reason.TOO_SHORT);
                    assertThat(e.schemaId()).isEqualTo(-1);
                })
                .hasMessageContaining("4 byte(s) is too short");
    }

    @Test
    void shouldHintAtJsonWhenFirstByteIsABrace() {
        byte[] json = "{\"id\": \"x\"}".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> WireFormat.schemaId(json))
                .isInstanceOfSatisfying(WireFormatException.class,
                        e -> assertThat(e.reason()).isEqualTo(WireFormatException.Reason.BAD_MAGIC))
                .hasMessageStartingWith("expected magic byte 0, got 0x7b (is this JSON?");
    }

    @Test
    void shouldHintAtOtherFormatsWhenMagicIsWrong() {
        assertThatThrownBy(() -> WireFormat.schemaId("hello world".getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("got 0x68 (is this plain text?");
        assertThatThrownBy(() -> WireFormat.schemaId(new byte[] {(byte) 0xc3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8}))
                .hasMessageContaining("Avro single-object encoding");
        assertThatThrownBy(() -> WireFormat.schemaId(new byte[] {0x02, 0x02, 0x61, 0x00, 0x00}))
                .hasMessageContaining("got 0x02 (not the Confluent wire format");
    }
}
