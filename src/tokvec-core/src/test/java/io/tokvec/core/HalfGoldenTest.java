package io.tokvec.core;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Half} against numpy (float16) and torch (bfloat16): every one of the 65,536 patterns to
 * float32, and 234,539 float32 patterns (ties, their neighbours, subnormals, underflow, overflow,
 * infinities, NaN payloads, random bits) to float16 and bfloat16. Fixtures:
 * {@code src/test/python/gen_half_golden.py}.
 */
class HalfGoldenTest {

    private static ByteBuffer fixture(String name) {
        try (InputStream in = HalfGoldenTest.class.getResourceAsStream("/half_golden/" + name)) {
            assertThat(in).as(name).isNotNull();
            return ByteBuffer.wrap(new GZIPInputStream(in).readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String hex(int v) {
        return "0x" + Integer.toHexString(v);
    }

    @Test
    void shouldWidenEveryHalfPatternExactlyAsNumpyWhenConvertingToFloat32() {
        ByteBuffer expected = fixture("half_to_float32.u32.gz");
        assertThat(expected.remaining()).isEqualTo(65536 * 4);
        for (int h = 0; h < 65536; h++) {
            int want = expected.getInt(h * 4);
            int got = Half.halfToFloatBits((short) h);
            if (got != want) {
                assertThat(hex(got)).as("float16 " + hex(h)).isEqualTo(hex(want));
            }
            assertThat(Float.floatToRawIntBits(Half.halfToFloat((short) h))).isEqualTo(want);
        }
    }

    @Test
    void shouldWidenEveryBfloat16PatternExactlyAsTorchWhenConvertingToFloat32() {
        ByteBuffer expected = fixture("bfloat16_to_float32.u32.gz");
        for (int h = 0; h < 65536; h++) {
            int want = expected.getInt(h * 4);
            float got = Half.bfloat16ToFloat((short) h);
            if (Float.isNaN(got)) {
                assertThat(Float.isNaN(Float.intBitsToFloat(want))).as("bfloat16 " + hex(h)).isTrue();
            } else if (Float.floatToRawIntBits(got) != want) {
                assertThat(hex(Float.floatToRawIntBits(got))).as("bfloat16 " + hex(h)).isEqualTo(hex(want));
            }
        }
    }

    @Test
    void shouldRoundFloat32ToHalfExactlyAsNumpyWhenGivenTiesSubnormalsOverflowAndNaN() {
        ByteBuffer inputs = fixture("float32_inputs.u32.gz");
        ByteBuffer expected = fixture("float32_to_half.u16.gz");
        int n = inputs.remaining() / 4;
        assertThat(expected.remaining()).isEqualTo(n * 2);
        assertThat(n).isGreaterThan(200_000);
        int mismatches = 0;
        String first = null;
        for (int i = 0; i < n; i++) {
            int in = inputs.getInt(i * 4);
            int want = expected.getShort(i * 2) & 0xffff;
            int got = Half.floatToHalf(Float.intBitsToFloat(in)) & 0xffff;
            if (got != want) {
                mismatches++;
                if (first == null) first = "float32 " + hex(in) + " -> " + hex(got) + ", numpy " + hex(want);
            }
        }
        assertThat(mismatches).as(first).isZero();
    }

    @Test
    void shouldRoundFloat32ToBfloat16ExactlyAsTorchWhenTheInputIsNotNaN() {
        ByteBuffer inputs = fixture("float32_inputs.u32.gz");
        ByteBuffer expected = fixture("float32_to_bfloat16.u16.gz");
        int n = inputs.remaining() / 4;
        int compared = 0;
        for (int i = 0; i < n; i++) {
            int in = inputs.getInt(i * 4);
            float f = Float.intBitsToFloat(in);
            int got = Half.floatToBfloat16(f) & 0xffff;
            if (Float.isNaN(f)) {
                // documented choice (ml_dtypes / Eigen): the quiet NaN with the input's sign
                assertThat(hex(got)).as("NaN " + hex(in)).isEqualTo(hex(in < 0 ? 0xffc0 : 0x7fc0));
                continue;
            }
            int want = expected.getShort(i * 2) & 0xffff;
            if (got != want) {
                assertThat(hex(got)).as("float32 " + hex(in)).isEqualTo(hex(want));
            }
            compared++;
        }
        assertThat(compared).isGreaterThan(200_000);
    }

    @Test
    void shouldRoundTripEveryHalfWhenNarrowingItsOwnFloat32Value() {
        for (int h = 0; h < 65536; h++) {
            short back = Half.floatToHalf(Half.halfToFloat((short) h));
            assertThat(back & 0xffff).as("float16 " + hex(h)).isEqualTo(h);
        }
    }
}
