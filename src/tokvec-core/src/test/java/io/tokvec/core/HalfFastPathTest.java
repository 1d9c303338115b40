package io.tokvec.core;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Half#floatToHalf}'s fast path (float16 normals) against the case-by-case reference
 * {@link Half#floatToHalfSlow} (itself checked against numpy by HalfGoldenTest): every float32 around
 * both ends of the fast path, every pattern at a stride through all 2^32, and every tie.
 */
class HalfFastPathTest {

    private static void check(int bits) {
        float f = Float.intBitsToFloat(bits);
        short fast = Half.floatToHalf(f);
        short slow = Half.floatToHalfSlow(f);
        if (fast != slow) { // assertThat per value would take minutes for millions of values
            assertThat(fast).as("float32 bits %08x", bits).isEqualTo(slow);
        }
    }

    @Test
    void shouldRoundEveryFloatAroundTheEndsOfTheFastPathAsTheReference() {
        for (int sign : new int[] {0, 0x80000000}) {
            for (int edge : new int[] {0x38800000, 0x477ff000, 0x33000000, 0x7f800000}) {
                for (int d = -(1 << 17); d <= (1 << 17); d++) {
                    check(sign | (edge + d));
                }
            }
        }
    }

    @Test
    void shouldRoundFloatsAtAStrideThroughEveryPatternAsTheReference() {
        for (long bits = 0; bits <= 0xffffffffL; bits += 997) {
            check((int) bits);
        }
    }

    @Test
    void shouldBreakEveryTieToEvenAsTheReference() {
        for (int exp = 0; exp < 256; exp++) {
            for (int kept = 0; kept < 1024; kept++) {
                int base = (exp << 23) | (kept << 13);
                for (int low : new int[] {0x0fff, 0x1000, 0x1001, 0x1fff}) {
                    check(base | low);
                    check(0x80000000 | base | low);
                }
            }
        }
    }
}
