package io.tokvec.it;

import io.tokvec.config.TokvecConfig;
import io.tokvec.devkit.LocalSchemaRegistryServer;
import io.tokvec.kafka.Topics;
import io.tokvec.serde.SchemaRegistries;
import io.tokvec.serde.SchemaRegistryClient;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The failover test as production runs: the three broker processes listen with SASL_SSL (SASL/PLAIN over TLS, a CA
 * and a certificate for 127.0.0.1 made by the test with keytool; the brokers replicate over the same listener), the
 * schema registry (the devkit's) serves https with HTTP Basic authentication, and tokvec's clients are configured
 * only through the documented pass-through keys ({@code security.protocol}, {@code sasl.*}, {@code ssl.truststore.*},
 * {@code basic.auth.*}, {@code schema.registry.ssl.truststore.*}). The leader of the output partitions is killed
 * while a version is published, and every event is still enriched exactly once. A client that lacks the CA, or
 * whose password is wrong, is refused with an error that says so, by the brokers and by the registry.
 */
@Tag(ItTags.FAILOVER)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FailoverSaslSslIT {

    private static final String USER = "tokvec";
    private static final String PASSWORD = "kafka-secret";
    private static final String REGISTRY_PASSWORD = "registry-secret";

    @TempDir
    static Path tmp;
    static TestCertificates certs;
    static BrokerProcesses cluster;
    static LocalSchemaRegistryServer registry;
    static FailoverRun run;

    @BeforeAll
    static void start() throws Exception {
        certs = TestCertificates.make(Files.createDirectories(tmp.resolve("certs")));
        Path users = Files.writeString(tmp.resolve("users.properties"), USER + "=" + PASSWORD + "\n", StandardCharsets.UTF_8);
        Path logs = ChildProcessApp.jar().getParent().resolve("it-logs").resolve("FailoverSaslSslIT");
        cluster = BrokerProcesses.start(FailoverRun.NODES, tmp.resolve("brokers"), logs,
                node -> List.of("--users", users.toString(), "--tls-keystore", certs.keystore().toString(),
                        "--tls-truststore", certs.truststore().toString()),
                Map.of("TOKVEC_TLS_PASSWORD", TestCertificates.PASSWORD));
        registry = new LocalSchemaRegistryServer(0, null,
                LocalSchemaRegistryServer.tlsContext(certs.keystore(), TestCertificates.PASSWORD, "PKCS12"),
                Map.of(USER, REGISTRY_PASSWORD), List.of());
    }

    @AfterAll
    static void stop() throws Exception {
        if (run != null) run.close();
        if (cluster != null) cluster.close();
        if (registry != null) registry.close();
    }

    /** The Kafka clients' settings: only the documented pass-through keys. */
    static Map<String, Object> kafka(String password, Path truststore) {
        Map<String, Object> m = new HashMap<>();
        m.put("bootstrap.servers", cluster.bootstrapServers());
        m.put("security.protocol", "SASL_SSL");
        m.put("sasl.mechanism", "PLAIN");
        m.put("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + USER
                + "\" password=\"" + password + "\";");
        m.put("ssl.truststore.location", truststore.toString());
        m.put("ssl.truststore.password", TestCertificates.PASSWORD);
        m.put("ssl.truststore.type", "PKCS12");
        return m;
    }

    /** The registry client's settings: https URL, basic auth, trust store. */
    static Map<String, String> registry(String password, Path truststore) {
        return Map.of(SchemaRegistries.URL, registry.url(),
                SchemaRegistries.BASIC_AUTH_CREDENTIALS_SOURCE, "USER_INFO",
                SchemaRegistries.BASIC_AUTH_USER_INFO, USER + ":" + password,
                SchemaRegistries.SSL_TRUSTSTORE_LOCATION, truststore.toString(),
                SchemaRegistries.SSL_TRUSTSTORE_PASSWORD, TestCertificates.PASSWORD,
                SchemaRegistries.SSL_TRUSTSTORE_TYPE, "PKCS12");
    }

    private static TokvecConfig config(Map<String, Object> kafka) {
        Map<String, String> s = ItApps.appConfig("refused", kafka, registry.url(), tmp.resolve("refused-state"));
        return new TokvecConfig(s);
    }

    @Test
    @Order(1)
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void shouldRefuseClientsWithoutTheCaOrWithAWrongPasswordWithAClearError() throws Exception {
        assertThat(registry.url()).startsWith("https://");
        Throwable noCa = catchThrowable(() -> Topics.ensureAll(config(kafka(PASSWORD, certs.otherTruststore()))));
        assertThat(noCa).isInstanceOf(IllegalStateException.class).hasMessageContaining("SSL handshake failed")
                .hasMessageContaining("ssl.truststore.location");
        Throwable wrongPassword = catchThrowable(() -> Topics.ensureAll(config(kafka("not-the-password", certs.truststore()))));
        assertThat(wrongPassword).isInstanceOf(IllegalStateException.class).hasMessageContaining("Authentication failed")
                .hasMessageContaining("security.protocol");
        System.out.printf("FailoverSaslSslIT: without the CA: %s%nFailoverSaslSslIT: wrong password: %s%n", noCa.getMessage(),
                wrongPassword.getMessage());

        Schema schema = Schema.create(Schema.Type.STRING);
        try (SchemaRegistryClient other = SchemaRegistries.forConfig(registry(REGISTRY_PASSWORD, certs.otherTruststore()));
             SchemaRegistryClient wrong = SchemaRegistries.forConfig(registry("not-the-password", certs.truststore()));
             SchemaRegistryClient right = SchemaRegistries.forConfig(registry(REGISTRY_PASSWORD, certs.truststore()))) {
            Throwable registryNoCa = catchThrowable(() -> other.register("probe-value", schema));
            assertThat(registryNoCa).isNotNull();
            assertThat(registryNoCa).hasMessageContaining("TLS handshake failed").hasMessageContaining("schema.registry.ssl.truststore.location");
            assertThat(chainMessages(registryNoCa)).contains("PKIX path building failed");
            Throwable registryWrong = catchThrowable(() -> wrong.register("probe-value", schema));
            assertThat(registryWrong).isNotNull().hasMessageContaining("401").hasMessageContaining("Unauthorized");
            assertThat(right.register("probe-value", schema)).isPositive();
            System.out.printf("FailoverSaslSslIT: registry without the CA: %s%nFailoverSaslSslIT: registry, wrong password: %s%n",
                    registryNoCa.getMessage(), registryWrong.getMessage());
        }
    }

    @Test
    @Order(2)
    @Timeout(value = 900, unit = TimeUnit.SECONDS)
    void shouldLoseNothingOverSaslSslWhenTheLeaderOfTheOutputPartitionsIsKilled() throws Exception {
        run = new FailoverRun("failover-tls", cluster, kafka(PASSWORD, certs.truststore()),
                registry(REGISTRY_PASSWORD, certs.truststore()), tmp);
        run.killLeaderOfOutputPartitions(2);
        run.finish();
    }

    private static String chainMessages(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            sb.append(c).append(" | ");
        }
        return sb.toString();
    }
}
