package io.tokvec.serde;

import io.tokvec.avro.TokenEvent;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RetryingSchemaRegistryClientTest {

    private static final Schema SCHEMA = TokenEvent.getClassSchema();

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
        RetryingSchemaRegistryClient client = new RetryingSchemaRegistryClient(registry, 10_000, 5);

        assertThat(client.getById(1)).isEqualTo(SCHEMA);
        assertThat(registry.calls).hasValue(4);
    }

    @Test
    void shouldNotRetryWhenTheRegistrySaysTheSchemaIsUnknown() {
        Scripted registry = new Scripted().failing(new UnknownSchemaException("no such id", 404, 40403));
        RetryingSchemaRegistryClient client = new RetryingSchemaRegistryClient(registry, 10_000, 5);

        assertThatThrownBy(() -> client.getById(1)).isInstanceOf(UnknownSchemaException.class);
        assertThat(registry.calls).hasValue(1);
    }

    @Test
    void shouldNotRetryWhenTheRegistryRefusesTheRequest() {
        Scripted registry = new Scripted().failing(new SchemaRegistryException("HTTP 401", 401, -1));
        RetryingSchemaRegistryClient client = new RetryingSchemaRegistryClient(registry, 10_000, 5);

        assertThatThrownBy(() -> client.getById(1)).isInstanceOf(SchemaRegistryException.class).hasMessage("HTTP 401");
        assertThat(registry.calls).hasValue(1);
    }

    @Test
    void shouldThrowTheLastFailureWhenTheRetryBoundPasses() {
        Scripted registry = new Scripted();
        for (int i = 0; i < 10_000; i++) registry.failing(new ConnectException("refused " + i));
        RetryingSchemaRegistryClient client = new RetryingSchemaRegistryClient(registry, 100, 10);

        assertThatThrownBy(() -> client.getById(1)).isInstanceOf(ConnectException.class)
                .satisfies(e -> assertThat(e.getSuppressed()).singleElement().extracting(Throwable::getMessage).asString()
                        .contains("gave up after", "retry bound 100 ms"));
        // 50 ms, then 10 ms pauses (the backoff cap) within 100 ms: more than one attempt, far fewer than the script
        assertThat(registry.calls.get()).isBetween(2, 100);
    }

    @Test
    void shouldFailAtOnceWhenRetryingWasStopped() {
        Scripted registry = new Scripted().failing(new ConnectException("refused"));
        RetryingSchemaRegistryClient client = new RetryingSchemaRegistryClient(registry, Long.MAX_VALUE, 500);
        RetryingSchemaRegistryClient unbounded = client.withTimeout(Long.MAX_VALUE);

        client.stopRetrying();

        assertThatThrownBy(() -> unbounded.getById(1)).isInstanceOf(ConnectException.class);
        assertThat(registry.calls).hasValue(1);
    }
}
