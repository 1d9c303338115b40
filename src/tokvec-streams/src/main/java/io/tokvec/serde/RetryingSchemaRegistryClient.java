package io.tokvec.serde;

import io.tokvec.core.Ticker;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retries, in place, a registry call that failed for a transient reason (network error, timeout,
 * HTTP 5xx, 408 or 429), with exponential backoff from {@value #INITIAL_BACKOFF_MS} ms up to
 * {@code backoffMaxMs}, for at most {@code timeoutMs} per call; then the last failure is thrown.
 * Answers that say something about the schema ({@link UnknownSchemaException}, other 4xx) are never
 * retried. So a caller resumes at most {@code backoffMaxMs} (plus one request) after the registry
 * answers again, without failing and without a rebalance.
 *
 * <p>{@link #withTimeout} gives a view with another bound over the same client (and caches).
 * {@link #stopRetrying()} makes every waiting and later call fail at once (used when closing, so
 * that no thread waits for a registry while the application shuts down). The backoff's time is the
 * {@link Ticker}'s (the system's unless one is passed). Thread-safe.
 */
public final class RetryingSchemaRegistryClient implements SchemaRegistryClient {

    /** First pause after a failure. */
    public static final long INITIAL_BACKOFF_MS = 50;

    private static final Logger log = LoggerFactory.getLogger(RetryingSchemaRegistryClient.class);

    private final SchemaRegistryClient delegate;
    private final long timeoutMs;
    private final long backoffMaxMs;
    private final Ticker ticker;
    private final Stop stop;

    private static final class Stop {
        volatile boolean stopped;
    }

    @FunctionalInterface
    private interface Call<T> {
        T call() throws IOException;
    }

    /**
     * @param timeoutMs    how long one call is retried ({@code Long.MAX_VALUE}: until it succeeds or {@link #stopRetrying()})
     * @param backoffMaxMs longest pause between two attempts
     */
    public RetryingSchemaRegistryClient(SchemaRegistryClient delegate, long timeoutMs, long backoffMaxMs) {
        this(delegate, timeoutMs, backoffMaxMs, Ticker.SYSTEM);
    }

    /** As {@link #RetryingSchemaRegistryClient(SchemaRegistryClient, long, long)}, timing the retries with {@code ticker}. */
    public RetryingSchemaRegistryClient(SchemaRegistryClient delegate, long timeoutMs, long backoffMaxMs, Ticker ticker) {
        this(delegate, timeoutMs, backoffMaxMs, ticker, new Stop());
    }

    private RetryingSchemaRegistryClient(SchemaRegistryClient delegate, long timeoutMs, long backoffMaxMs, Ticker ticker,
                                         Stop stop) {
        if (timeoutMs < 0 || backoffMaxMs < 1) {
            throw new IllegalArgumentException("timeout must be >= 0 and backoff >= 1 ms, got " + timeoutMs + " and " + backoffMaxMs);
        }
        this.delegate = delegate;
        this.timeoutMs = timeoutMs;
        this.backoffMaxMs = backoffMaxMs;
        this.ticker = ticker;
        this.stop = stop;
    }

    /** The same client (same caches, same stop switch), retrying for {@code timeoutMs} instead. */
    public RetryingSchemaRegistryClient withTimeout(long timeoutMs) {
        return new RetryingSchemaRegistryClient(delegate, timeoutMs, backoffMaxMs, ticker, stop);
    }

    /** From now on, failing calls are not retried, and calls waiting between two attempts give up. */
    public void stopRetrying() {
        stop.stopped = true;
        synchronized (stop) {
            stop.notifyAll();
        }
    }

    @Override
    public int register(String subject, Schema schema) throws IOException {
        return retry("register " + schema.getFullName() + " under '" + subject + "'", () -> delegate.register(subject, schema));
    }

    @Override
    public Schema getById(int id) throws IOException {
        return retry("fetch schema id " + id, () -> delegate.getById(id));
    }

    @Override
    public int getId(String subject, Schema schema) throws IOException {
        return retry("look up " + schema.getFullName() + " under '" + subject + "'", () -> delegate.getId(subject, schema));
    }

    @Override
    public void close() {
        stopRetrying();
        delegate.close();
    }

    @Override
    public String toString() {
        return "Retrying(" + delegate + ")";
    }

    private <T> T retry(String what, Call<T> call) throws IOException {
        long start = ticker.nanoTime();
        long backoff = Math.min(INITIAL_BACKOFF_MS, backoffMaxMs);
        int failures = 0;
        while (true) {
            IOException failure;
            try {
                T answer = call.call();
                if (failures > 0) {
                    log.info("schema registry answered ({}) after {} failed attempt(s) over {} ms", what, failures,
                            TimeUnit.NANOSECONDS.toMillis(ticker.nanoTime() - start));
                }
                return answer;
            } catch (UnknownSchemaException | InterruptedIOException e) {
                throw e;
            } catch (SchemaRegistryException e) {
                if (!e.isTransient()) {
                    throw e;
                }
                failure = e;
            } catch (IOException e) {
                failure = e;
            }
            failures++;
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(ticker.nanoTime() - start);
            if (stop.stopped || elapsedMs >= timeoutMs) {
                if (failures > 1) {
                    failure.addSuppressed(new IOException("gave up after " + failures + " attempts over " + elapsedMs
                            + " ms (retry bound " + timeoutMs + " ms)"));
                }
                throw failure;
            }
            if (failures == 1) {
                log.warn("schema registry unavailable ({}): {}; retrying in place every <= {} ms{}", what, failure.getMessage(),
                        backoffMaxMs, timeoutMs == Long.MAX_VALUE ? "" : " for up to " + timeoutMs + " ms");
            }
            pause(Math.min(backoff, timeoutMs - elapsedMs), what);
            if (stop.stopped) {
                throw failure; // stopped while waiting: no further attempt
            }
            backoff = Math.min(backoff * 2, backoffMaxMs);
        }
    }

    private void pause(long millis, String what) throws InterruptedIOException {
        long deadline = ticker.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (stop) {
            try {
                long left;
                while (!stop.stopped && (left = deadline - ticker.nanoTime()) > 0) {
                    ticker.timedWait(stop, left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                InterruptedIOException ie = new InterruptedIOException("interrupted while waiting to retry: " + what);
                ie.initCause(e);
                throw ie;
            }
        }
    }
}
