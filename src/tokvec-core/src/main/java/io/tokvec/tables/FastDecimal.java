package io.tokvec.tables;

/**
 * Clinger's fast path for decimal text: a decimal with at most 15 significant digits and a decimal
 * exponent within [-22, 22] is {@code m * 10^k} or {@code m / 10^k} with both operands exact in
 * float64, so one IEEE operation gives the correctly rounded float64, the same value as
 * {@link Double#parseDouble} without allocating a String. Anything else returns NaN and the caller
 * falls back to {@code Double.parseDouble}.
 */
final class FastDecimal {

    private static final double[] POW10 = new double[23];

    static {
        double p = 1;
        for (int i = 0; i < POW10.length; i++) {
            POW10[i] = p;
            p *= 10;
        }
    }

    private FastDecimal() {
    }

    /** The float64 nearest to the decimal in {@code b[start, end)}, or NaN when it needs the slow path. */
    static double parse(byte[] b, int start, int end) {
        int i = start;
        boolean negative = false;
        if (i < end && (b[i] == '-' || b[i] == '+')) {
            negative = b[i] == '-';
            i++;
        }
        long mantissa = 0;
        int digits = 0;
        int scale = 0;
        boolean anyDigit = false;
        boolean dot = false;
        for (; i < end; i++) {
            byte c = b[i];
            if (c >= '0' && c <= '9') {
                anyDigit = true;
                if (mantissa == 0 && c == '0') {
                    if (dot) scale--;
                    continue;
                }
                if (digits == 15) {
                    return Double.NaN;
                }
                mantissa = mantissa * 10 + (c - '0');
                digits++;
                if (dot) scale--;
            } else if (c == '.' && !dot) {
                dot = true;
            } else {
                break;
            }
        }
        if (!anyDigit) {
            return Double.NaN;
        }
        if (i < end) {
            if (b[i] != 'e' && b[i] != 'E') {
                return Double.NaN;
            }
            i++;
            boolean negativeExponent = false;
            if (i < end && (b[i] == '-' || b[i] == '+')) {
                negativeExponent = b[i] == '-';
                i++;
            }
            if (i == end) {
                return Double.NaN;
            }
            int exponent = 0;
            for (; i < end; i++) {
                byte c = b[i];
                if (c < '0' || c > '9') {
                    return Double.NaN;
                }
                if (exponent < 10_000) {
                    exponent = exponent * 10 + (c - '0');
                }
            }
            scale += negativeExponent ? -exponent : exponent;
        }
        double v;
        if (mantissa == 0) {
            v = 0;
        } else if (scale >= 0 && scale < POW10.length) {
            v = mantissa * POW10[scale];
        } else if (scale < 0 && -scale < POW10.length) {
            v = mantissa / POW10[-scale];
        } else {
            return Double.NaN;
        }
        return negative ? -v : v;
    }
}
