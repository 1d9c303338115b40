package io.tokvec.tables;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class FastDecimalTest {

    @Test
    void shouldAgreeWithDoubleParseDoubleWheneverItAnswers() {
        Random rnd = new Random(42);
        int fast = 0;
        for (int i = 0; i < 50_000; i++) {
            String s = randomDecimal(rnd);
            double d = parse(s);
            if (!Double.isNaN(d)) {
                fast++;
                assertThat(Double.doubleToRawLongBits(d)).as(s).isEqualTo(Double.doubleToRawLongBits(Double.parseDouble(s)));
            }
        }
        assertThat(fast).as("most short decimals take the fast path").isGreaterThan(25_000);
    }

    @Test
    void shouldHandleSignsZerosAndExponents() {
        assertThat(parse("0.418")).isEqualTo(0.418);
        assertThat(Double.doubleToRawLongBits(parse("-0.0"))).isEqualTo(Double.doubleToRawLongBits(-0.0));
        assertThat(parse("+5.")).isEqualTo(5.0);
        assertThat(parse(".5e1")).isEqualTo(5.0);
        assertThat(parse("0.000001234")).isEqualTo(1.234e-6);
        assertThat(parse("-4E-2")).isEqualTo(-0.04);
        assertThat(parse("100")).isEqualTo(100.0);
    }

    @Test
    void shouldLeaveHardOrMalformedTextToTheSlowPath() {
        assertThat(parse("1.2345678901234567")).isNaN();
        assertThat(parse("1e23")).isNaN();
        assertThat(parse("1e")).isNaN();
        assertThat(parse(".")).isNaN();
        assertThat(parse("1.2.3")).isNaN();
        assertThat(parse("-")).isNaN();
    }

    private static double parse(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        return FastDecimal.parse(b, 0, b.length);
    }

    private static String randomDecimal(Random rnd) {
        double v = (rnd.nextDouble() - 0.5) * Math.pow(10, rnd.nextInt(16) - 8);
        switch (rnd.nextInt(4)) {
            case 0: return String.format(Locale.ROOT, "%." + rnd.nextInt(10) + "f", v);
            case 1: return String.format(Locale.ROOT, "%." + rnd.nextInt(17) + "e", v);
            case 2: return String.format(Locale.ROOT, "%." + (1 + rnd.nextInt(9)) + "g", v);
            default: return Float.toString((float) v);
        }
    }
}
