package io.tokvec.it;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.fail;

/** Waits for a condition with a deadline (polling), so that no test relies on a bare sleep. */
public final class Await {

    private static final long POLL_MILLIS = 50;

    private Await() {
    }

    /** Polls {@code condition} until it holds; fails naming {@code what} when {@code timeout} passes. */
    public static void until(Duration timeout, String what, BooleanSupplier condition) {
        until(timeout, what, condition, () -> "");
    }

    /** As {@link #until(Duration, String, BooleanSupplier)}; {@code state} describes what was seen, for the failure message. */
    public static void until(Duration timeout, String what, BooleanSupplier condition, Supplier<String> state) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                String seen = state.get();
                fail("timed out after " + timeout.toSeconds() + " s waiting for " + what + (seen.isEmpty() ? "" : "; " + seen));
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
        }
    }
}
