package io.tokvec.kafka;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The cluster check's answers where no broker is: nothing listening, a listener that never
 * answers, TLS on one side only. (A real broker's answers, SASL included, are in StartupCheckIT.)
 */
class ClusterCheckTest {

    private static final Duration SHORT = Duration.ofMillis(300);

    @Test
    void shouldSayTheClusterCannotBeReachedWhenNothingListens() throws Exception {
        try (ClosedPort closed = new ClosedPort()) {
            String servers = "127.0.0.1:" + closed.port();

            StartupCheckException e = failure(Map.of("bootstrap.servers", servers), SHORT);

            assertThat(e).hasMessage("cannot reach the Kafka cluster at " + servers
                    + " (bootstrap.servers) within 0.3 s: connection refused");
        }
    }

    @Test
    void shouldNameAnUnknownHost() {
        StartupCheckException e = failure(Map.of("bootstrap.servers", "no-such-broker.invalid:9092"), SHORT);

        assertThat(e.getMessage()).startsWith("cannot reach the Kafka cluster at no-such-broker.invalid:9092 (bootstrap.servers)"
                + " within 0.3 s: unknown host");
    }

    @Test
    void shouldRefuseAServerThatIsNotHostAndPort() {
        assertThat(failure(Map.of("bootstrap.servers", "localhost"), SHORT))
                .hasMessage("bootstrap.servers: 'localhost' is not host:port");
        assertThat(failure(Map.of(), SHORT)).hasMessageStartingWith("bootstrap.servers must be set");
    }

    @Test
    void shouldSayTheListenerExpectsTlsWhenAPlaintextClientGetsATlsAlert() throws Exception {
        try (FakeListener tls = new FakeListener(FakeListener.Behaviour.TLS)) {
            StartupCheckException e = failure(Map.of("bootstrap.servers", tls.address()), SHORT);

            assertThat(e).hasMessage("the Kafka cluster at " + tls.address() + " (bootstrap.servers) expects TLS, but "
                    + "security.protocol=PLAINTEXT: set security.protocol=SSL (with ssl.truststore.location when its "
                    + "certificate is not in Java's trust store)");
        }
    }

    @Test
    void shouldSayTheListenerDoesNotSpeakTlsWhenATlsClientIsHungUpOn() throws Exception {
        try (FakeListener plain = new FakeListener(FakeListener.Behaviour.PLAINTEXT_KAFKA)) {
            StartupCheckException e = failure(Map.of("bootstrap.servers", plain.address(), "security.protocol", "SASL_SSL",
                    "sasl.mechanism", "PLAIN", "sasl.jaas.config",
                    "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"p\";"), SHORT);

            assertThat(e).hasMessage("the Kafka cluster at " + plain.address() + " (bootstrap.servers) does not speak TLS, but "
                    + "security.protocol=SASL_SSL, sasl.mechanism=PLAIN: set security.protocol=SASL_PLAINTEXT, or give the "
                    + "address of a TLS listener");
        }
    }

    @Test
    void shouldSayTheTlsHandshakeFailedWhenTheListenersCertificateIsNotTrusted() throws Exception {
        try (FakeListener tls = new FakeListener(FakeListener.Behaviour.TLS_SELF_SIGNED)) {
            StartupCheckException e = failure(Map.of("bootstrap.servers", tls.address(), "security.protocol", "SSL",
                    "ssl.endpoint.identification.algorithm", ""), SHORT);

            assertThat(e.getMessage()).startsWith("TLS handshake with the Kafka cluster at " + tls.address() + " (bootstrap.servers)"
                    + " failed (security.protocol=SSL; see ssl.truststore.location, ssl.endpoint.identification.algorithm): "
                    + "PKIX path building failed");
        }
    }

    @Test
    void shouldSayTheClusterDidNotAnswerWhenTheListenerStaysSilent() throws Exception {
        try (FakeListener silent = new FakeListener(FakeListener.Behaviour.SILENT)) {
            // a slow cluster is waited for as long as an admin call would be: here 2 s instead of 60
            StartupCheckException e = failure(Map.of("bootstrap.servers", silent.address(), "default.api.timeout.ms", "2000",
                    "request.timeout.ms", "2000"), SHORT);

            assertThat(e).hasMessage("the Kafka cluster at " + silent.address() + " (bootstrap.servers) accepts connections"
                    + " but did not answer within 2 s (default.api.timeout.ms; security.protocol=PLAINTEXT): does the listener"
                    + " expect another security.protocol, and can this host reach the addresses the brokers advertise"
                    + " (advertised.listeners)?");
        }
    }

    @Test
    void shouldKeepTheClientsConnectionWarningsOutOfTheConsole() throws Exception {
        try (FakeListener plain = new FakeListener(FakeListener.Behaviour.PLAINTEXT_KAFKA)) {
            // without the check's quiet logs: a WARN "Connection to node -1 ... terminated during authentication" per attempt
            Map<String, String> ssl = Map.of("bootstrap.servers", plain.address(), "security.protocol", "SSL");

            assertThat(stderrOf(() -> failure(ssl, SHORT, true))).isEmpty();
        }
    }

    private static StartupCheckException failure(Map<String, String> props, Duration timeout) {
        return failure(props, timeout, true);
    }

    private static StartupCheckException failure(Map<String, String> props, Duration timeout, boolean quiet) {
        StartupCheckException e = catchThrowableOfType(StartupCheckException.class,
                () -> ClusterCheck.check(props, timeout, quiet));
        assertThat(e).as("the check failed").isNotNull();
        return e;
    }

    /** What runs writes to System.err (where slf4j-simple logs). */
    static synchronized String stderrOf(Runnable run) {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            run.run();
        } finally {
            System.setErr(saved);
        }
        return err.toString(StandardCharsets.UTF_8);
    }
}
