package io.tokvec.it;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.awaitility.core.ConditionTimeoutException;

import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

/** Awaitility with the failure message the failover tests want: what was awaited, and what was seen last. */
public final class Await {

    private Await() {
    }

    /** Waits until {@code condition} holds; fails naming {@code what} when {@code timeout} passes. */
    public static void until(Duration timeout, String what, BooleanSupplier condition) {
        until(timeout, what, condition, () -> "");
    }

    /** As {@link #until(Duration, String, BooleanSupplier)}; {@code state} describes what was seen, for the failure message. */
    public static void until(Duration timeout, String what, BooleanSupplier condition, Supplier<String> state) {
        try {
            await(what).atMost(timeout).pollInterval(Duration.ofMillis(50)).until(condition::getAsBoolean);
        } catch (ConditionTimeoutException e) {
            String seen = state.get();
            fail("timed out after " + timeout.toSeconds() + " s waiting for " + what + (seen.isEmpty() ? "" : "; " + seen));
        }
    }
}
