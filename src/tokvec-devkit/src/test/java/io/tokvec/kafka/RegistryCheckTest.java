package io.tokvec.kafka;

import io.tokvec.devkit.TestSchemaRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The schema-registry check: an answer passes; no answer, refused credentials or something else at the URL fail in one line. */
class RegistryCheckTest {

    /** Where nothing answers (or only errors come back): each such test takes this long. */
    private static final Duration SHORT = Duration.ofMillis(300);
    /** Where an answer comes: long enough for a loaded machine's first HTTP request. */
    private static final Duration ANSWER = Duration.ofSeconds(30);

    @Test
    void shouldPassWhenTheRegistryAnswers() throws Exception {
        try (TestSchemaRegistry registry = new TestSchemaRegistry().start()) {
            assertThatCode(() -> RegistryCheck.check(Map.of("schema.registry.url", registry.url()), ANSWER, true))
                    .doesNotThrowAnyException();
        }
    }

    @Test
    void shouldSayTheRegistryCannotBeReachedWhenNothingListens() throws Exception {
        try (ClosedPort closed = new ClosedPort()) {
            String url = "http://127.0.0.1:" + closed.port();

            assertThat(failure(Map.of("schema.registry.url", url), SHORT)).hasMessage("cannot reach the schema registry at " + url
                    + " (schema.registry.url) within 0.3 s: connection refused");
        }
    }

    @Test
    void shouldLeaveTheCredentialsOfTheUrlOutOfTheMessage() throws Exception {
        try (ClosedPort closed = new ClosedPort()) {
            StartupCheckException e = failure(Map.of("schema.registry.url", "http://reader:s3cret@127.0.0.1:" + closed.port()), SHORT);

            assertThat(e.getMessage()).startsWith("cannot reach the schema registry at http://127.0.0.1:" + closed.port() + " (")
                    .doesNotContain("s3cret");
        }
    }

    @Test
    void shouldSayTheCredentialsWereRefusedWhenTheRegistryAnswers401() throws Exception {
        try (TestSchemaRegistry registry = new TestSchemaRegistry().start()) {
            registry.requireBasicAuth("reader", "right");

            StartupCheckException e = failure(Map.of("schema.registry.url", registry.url(),
                    "basic.auth.credentials.source", "USER_INFO", "basic.auth.user.info", "reader:wrong"), ANSWER);

            assertThat(e.getMessage()).startsWith("the schema registry at " + registry.url() + " (schema.registry.url) refused"
                    + " the credentials (HTTP 401; see basic.auth.credentials.source, basic.auth.user.info): ")
                    .doesNotContain("wrong");
        }
    }

    @Test
    void shouldSayTheUrlIsNotARegistryWhenItAnswersABare404() throws Exception {
        try (TestSchemaRegistry registry = new TestSchemaRegistry().start()) {
            registry.notARegistry(true);

            assertThat(failure(Map.of("schema.registry.url", registry.url()), ANSWER)).hasMessage("the schema registry at "
                    + registry.url() + " (schema.registry.url) cannot be used: schema registry " + registry.url()
                    + " answered HTTP 404 to GET /subjects: <html>Not Found</html> (no schema-registry error body: does"
                    + " schema.registry.url point at a schema registry?)");
        }
    }

    @Test
    void shouldRetryA503UntilTheTimeoutAndSaySo() throws Exception {
        try (TestSchemaRegistry registry = new TestSchemaRegistry().start()) {
            registry.failWith(503);

            assertThat(failure(Map.of("schema.registry.url", registry.url()), SHORT)).hasMessage(
                    "the schema registry at " + registry.url() + " (schema.registry.url) still answered with an error after 0.3 s:"
                    + " schema registry " + registry.url() + " answered HTTP 503 (error 50301) to GET /subjects: simulated failure");
        }
    }

    @Test
    void shouldSayTheRegistryAcceptsConnectionsButDoesNotAnswerWhenItStaysSilent() throws Exception {
        try (FakeListener silent = new FakeListener(FakeListener.Behaviour.SILENT)) {
            String url = "http://" + silent.address();

            // a slow registry is waited for as long as its client waits for any answer: here 0.5 s instead of 30
            assertThat(failure(Map.of("schema.registry.url", url, "schema.registry.request.timeout.ms", "500"), SHORT))
                    .hasMessage("the schema registry at " + url + " (schema.registry.url) accepts connections but did not answer"
                            + " GET /subjects: no answer (see schema.registry.request.timeout.ms; is the URL's scheme, http or"
                            + " https, the one it serves?)");
        }
    }

    @Test
    void shouldNotCheckAnInMemoryRegistry() {
        assertThatCode(() -> RegistryCheck.check(Map.of("schema.registry.url", "mock://RegistryCheckTest"), SHORT, true))
                .doesNotThrowAnyException();
    }

    private static StartupCheckException failure(Map<String, String> props, Duration timeout) {
        StartupCheckException e = catchThrowableOfType(StartupCheckException.class, () -> RegistryCheck.check(props, timeout, true));
        assertThat(e).as("the check failed").isNotNull();
        return e;
    }
}
