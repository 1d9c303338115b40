package io.tokvec.serde;

import io.tokvec.avro.TokenEvent;
import io.tokvec.testutil.ManualTicker;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The retries run on a {@link ManualTicker}: each pause is recorded and takes no time. */
class RetryingSchemaRegistryClientTest {

    private static final Schema SCHEMA = TokenEvent.getClassSchema();

    private final ManualTicker ticker = new ManualTicker();

    private static List<Duration> millis(long... ms) {
        List<Duration> d = new ArrayList<>();
        for (long m : ms) d.add(Duration.ofMillis(m));
        return d;
    }

    /** Answers {@code getById} from a script of failures, then with {@link #SCHEMA}; counts the calls. */
    private static final class Scripted implements SchemaRegistryClient {
        final Deque<IOException> failures = new ArrayDeque<>();
        final AtomicInteger calls = new AtomicInteger();

        Scripted failing(IOException... es) {
            for (IOException e : es) failures.add(e);
            return this;
        }

        @Override public int register(String subject, Schema schema) { return 7; }

        @Override
        public Schema getById(int id) throws IOException {
            calls.incrementAndGet();
            IOException next = failures.poll();
            if (next != null) throw next;
            return SCHEMA;
        }

        @Override public void close() { }
    }

    @Test
    void shouldAnswerAfterRetryingInPlaceWhenTheRegistryIsBackAfterTransientFailures() throws IOException {
        Scripted registry = new Scripted().failing(new ConnectException("refused"), new ConnectException("refused"),
                new SchemaRegistryException("HTTP 503", 503, -1));
        RetryingSchemaRegistryClient client = new RetryingSchemaRegistryClient(registry, 10_000, 5, ticker);

        assertThat(client.getById(1)).isEqualTo(SCHEMA);
        assertThat(registry.calls).hasValue(4);
        assertThat(ticker.waits()).as("a pause after each failure, at most the 5 ms cap").isEqualTo(millis(5, 5, 5));
    }

    @Test
    void shouldDoubleThePauseUpToTheBackoffCapWhenFailuresGoOn() throws IOException {
        Scripted registry = new Scripted();
        for (int i = 0; i < 8; i++) registry.failing(new SchemaRegistryException("HTTP 503", 503, -1));
        RetryingSchemaRegistryClient client = new RetryingSchemaRegistryClient(registry, 10_000, 500, ticker);

        assertThat(client.getById(1)).isEqualTo(SCHEMA);
        assertThat(ticker.waits()).isEqualTo(millis(RetryingSchemaRegistryClient.INITIAL_BACKOFF_MS, 100, 200, 400, 500, 500, 500, 500));
        assertThat(registry.calls).hasValue(9);
    }

    @Test
    void shouldNotRetryWhenTheRegistrySaysTheSchemaIsUnknown() {
        Scripted registry = new Scripted().failing(new UnknownSchemaException("no such id", 404, 40403));
        RetryingSchemaRegistryClient client = new RetryingSchemaRegistryClient(registry, 10_000, 5, ticker);

        assertThatThrownBy(() -> client.getById(1)).isInstanceOf(UnknownSchemaException.class);
        assertThat(registry.calls).hasValue(1);
        assertThat(ticker.waits()).isEmpty();
    }

    @Test
    void shouldNotRetryWhenTheRegistryRefusesTheRequest() {
        Scripted registry = new Scripted().failing(new SchemaRegistryException("HTTP 401", 401, -1));
        RetryingSchemaRegistryClient client = new RetryingSchemaRegistryClient(registry, 10_000, 5, ticker);

        assertThatThrownBy(() -> client.getById(1)).isInstanceOf(SchemaRegistryException.class).hasMessage("HTTP 401");
        assertThat(registry.calls).hasValue(1);
        assertThat(ticker.waits()).isEmpty();
    }

    @Test
    void shouldThrowTheLastFailureWhenTheRetryBoundPasses() {
        Scripted registry = new Scripted();
        for (int i = 0; i < 10_000; i++) registry.failing(new ConnectException("refused " + i));
        RetryingSchemaRegistryClient client = new RetryingSchemaRegistryClient(registry, 100, 10, ticker);

        // pauses of 10 ms (the backoff cap) from the first failure: attempts at 0, 10, ..., 100 ms, then the bound has passed
        assertThatThrownBy(() -> client.getById(1)).isInstanceOf(ConnectException.class).hasMessage("refused 10")
                .satisfies(e -> assertThat(e.getSuppressed()).singleElement().extracting(Throwable::getMessage)
                        .isEqualTo("gave up after 11 attempts over 100 ms (retry bound 100 ms)"));
        assertThat(registry.calls).hasValue(11);
        assertThat(ticker.waits()).isEqualTo(Collections.nCopies(10, Duration.ofMillis(10)));
    }

    @Test
    void shouldGiveUpWithoutAnotherAttemptWhenRetryingIsStoppedDuringAPause() {
        Scripted registry = new Scripted().failing(new ConnectException("refused"));
        RetryingSchemaRegistryClient client = new RetryingSchemaRegistryClient(registry, Long.MAX_VALUE, 500, ticker);
        ticker.duringNextWait(Duration.ofMillis(20), client::stopRetrying);

        assertThatThrownBy(() -> client.getById(1)).isInstanceOf(ConnectException.class).hasMessage("refused");
        assertThat(registry.calls).as("the registry would answer the next attempt: there is none").hasValue(1);
        assertThat(ticker.waits()).isEqualTo(millis(RetryingSchemaRegistryClient.INITIAL_BACKOFF_MS));
        assertThat(ticker.elapsed()).isEqualTo(Duration.ofMillis(20));
    }

    @Test
    void shouldFailAtOnceWhenRetryingWasStopped() {
        Scripted registry = new Scripted().failing(new ConnectException("refused"));
        RetryingSchemaRegistryClient client = new RetryingSchemaRegistryClient(registry, Long.MAX_VALUE, 500, ticker);
        RetryingSchemaRegistryClient unbounded = client.withTimeout(Long.MAX_VALUE);

        client.stopRetrying();

        assertThatThrownBy(() -> unbounded.getById(1)).isInstanceOf(ConnectException.class);
        assertThat(registry.calls).hasValue(1);
        assertThat(ticker.waits()).isEmpty();
    }
}
