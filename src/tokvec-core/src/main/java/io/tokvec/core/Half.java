package io.tokvec.core;

/**
 * float16 (IEEE 754 binary16) and bfloat16 conversions, written out because Java 17 has no
 * {@code Float.float16ToFloat} (that is Java 20).
 *
 * <ul>
 *   <li>float16 to float32 is exact for every one of the 65,536 patterns (NaN payloads are kept,
 *       shifted into the float32 significand), as numpy's {@code astype(np.float32)}.</li>
 *   <li>float32 to float16 rounds to nearest, ties to even, as numpy's {@code astype(np.float16)}:
 *       values from 65520 up become infinity, values below 2^-25 become a signed zero, subnormal
 *       halves are produced (no flush to zero). NaN stays NaN with the sign and the top 10 payload
 *       bits kept; a payload that would vanish becomes {@code 0x7c01} (numpy's rule), so a NaN never
 *       turns into infinity.</li>
 *   <li>bfloat16 is the upper half of a float32: to float32 is a shift; float32 to bfloat16 rounds to
 *       nearest, ties to even, on the float32 bits (torch / ml_dtypes). NaN becomes the quiet NaN
 *       {@code 0x7fc0} with the sign kept ({@code 0xffc0} for a negative NaN), as ml_dtypes (Eigen)
 *       does; torch 1.13 gives {@code 0xffff} for every NaN. Either way a NaN stays a NaN and never
 *       rounds into infinity, which plain rounding of a payload could do.</li>
 * </ul>
 * Golden values: {@code src/test/python/gen_half_golden.py} (numpy and torch), checked by HalfGoldenTest.
 */
public final class Half {

    private static final int[] HALF_TO_FLOAT_BITS = new int[1 << 16];

    static {
        for (int h = 0; h < HALF_TO_FLOAT_BITS.length; h++) {
            HALF_TO_FLOAT_BITS[h] = halfToFloatBitsSlow(h);
        }
    }

    private Half() {
    }

    /** float32 bits of a float16 pattern (exact). */
    public static int halfToFloatBits(short half) {
        return HALF_TO_FLOAT_BITS[half & 0xffff];
    }

    public static float halfToFloat(short half) {
        return Float.intBitsToFloat(HALF_TO_FLOAT_BITS[half & 0xffff]);
    }

    private static int halfToFloatBitsSlow(int h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return sign | 0x7f800000 | (mant << 13);
        }
        if (exp == 0) {
            if (mant == 0) {
                return sign;
            }
            int e = 1; // subnormal: normalise the significand
            while ((mant & 0x400) == 0) {
                mant <<= 1;
                e--;
            }
            return sign | ((e - 15 + 127) << 23) | ((mant & 0x3ff) << 13);
        }
        return sign | ((exp - 15 + 127) << 23) | (mant << 13);
    }

    /** Smallest float32 magnitude (bits) that is a normal float16: 2^-14. */
    private static final int HALF_MIN_NORMAL = 0x38800000;
    /** Smallest float32 magnitude (bits) that rounds to float16 infinity: 65520. */
    private static final int HALF_OVERFLOW = 0x477ff000;

    /**
     * float16 pattern nearest to a float32 (ties to even), as numpy's {@code astype(np.float16)}.
     * Values whose float16 is normal (2^-14 up to 65504 after rounding, what embeddings almost always
     * are) take a branch-light path: rebias the exponent, add half a unit of the last kept bit plus the
     * tie-breaking bit, shift (a carry out of the significand moves into the exponent, as it should);
     * the rest (subnormals, zero, overflow, infinity, NaN) goes through {@link #floatToHalfSlow}.
     */
    public static short floatToHalf(float f) {
        int x = Float.floatToRawIntBits(f);
        int abs = x & 0x7fffffff;
        if (abs >= HALF_MIN_NORMAL && abs < HALF_OVERFLOW) {
            return (short) (((x >>> 16) & 0x8000) | ((abs - 0x38000000 + 0x0fff + ((abs >>> 13) & 1)) >>> 13));
        }
        return floatToHalfSlow(f);
    }

    /** {@link #floatToHalf} case by case: every float32, special values included (also the reference of the fast path). */
    static short floatToHalfSlow(float f) {
        int x = Float.floatToRawIntBits(f);
        int sign = (x >>> 16) & 0x8000;
        int exp = (x >>> 23) & 0xff;
        int mant = x & 0x7fffff;
        if (exp == 0xff) {
            if (mant == 0) {
                return (short) (sign | 0x7c00);
            }
            int payload = mant >>> 13;
            return (short) (sign | 0x7c00 | (payload == 0 ? 1 : payload));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign;
            }
            int m = mant | 0x800000;
            int shift = 14 - e;
            int r = m >>> shift;
            int rem = m & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (rem > halfway || (rem == halfway && (r & 1) != 0)) {
                r++;
            }
            return (short) (sign | r);
        }
        int r = (e << 10) | (mant >>> 13);
        int rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (r & 1) != 0)) {
            r++; // a carry moves into the exponent; from 0x7bff it makes infinity, as it should
        }
        return (short) (sign | r);
    }

    /** float32 bits of a bfloat16 pattern (exact). */
    public static int bfloat16ToFloatBits(short bf) {
        return (bf & 0xffff) << 16;
    }

    public static float bfloat16ToFloat(short bf) {
        return Float.intBitsToFloat((bf & 0xffff) << 16);
    }

    /** bfloat16 pattern nearest to a float32 (ties to even); NaN becomes the quiet NaN with its sign. */
    public static short floatToBfloat16(float f) {
        int x = Float.floatToRawIntBits(f);
        if ((x & 0x7fffffff) > 0x7f800000) {
            return (short) ((x >>> 16 & 0x8000) | 0x7fc0);
        }
        return (short) ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16);
    }
}
