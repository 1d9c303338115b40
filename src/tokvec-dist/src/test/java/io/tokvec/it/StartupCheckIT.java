package io.tokvec.it;

import io.tokvec.devkit.TestSchemaRegistry;
import io.tokvec.config.TokvecConfig;
import io.tokvec.kafka.ClosedPort;
import io.tokvec.kafka.ClusterCheck;
import io.tokvec.kafka.StartupCheckException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * {@code run}'s first seconds against a real broker: with the cluster and the registry answering it
 * starts, and Kafka Streams' needless "Processing exception handler is not enabled for the
 * GlobalThread" warning is not in its log; a registry that does not answer stops it in one line.
 * The cluster check itself against the broker: it describes the cluster, and a TLS client is told
 * that the listener does not speak TLS.
 */
class StartupCheckIT {

    private static final Duration WAIT = Duration.ofSeconds(120);

    @RegisterExtension
    static final BrokerExtension KAFKA = new BrokerExtension("StartupCheckIT");
    @RegisterExtension
    static final TestSchemaRegistry REGISTRY = new TestSchemaRegistry();

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void shouldStartRunWithoutKafkasGlobalThreadWarningWhenTheClusterAndTheRegistryAnswer() throws Exception {
        Map<String, String> settings = ItApps.appConfig("startup-check", KAFKA.broker().clientProperties(), REGISTRY.url(),
                tmp.resolve("state"));
        Path config = ChildProcessApp.writeConfig(settings, tmp.resolve("tokvec.properties"));

        String log;
        try (ChildProcessApp app = ChildProcessApp.start(config, tmp.resolve("run.log"))) {
            Await.until(WAIT, "the application RUNNING (log " + app.log() + ")",
                    () -> read(app.log()).contains("-> RUNNING") || !app.isAlive(), () -> read(app.log()));
            assertThat(app.isAlive()).as(read(app.log())).isTrue();
            app.stop();
            log = read(app.log());
        }

        assertThat(log).contains("application state REBALANCING -> RUNNING")
                .doesNotContain("GlobalThread").doesNotContain("WARN StreamsConfig");
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldStopRunInOneLineWhenTheRegistryDoesNotAnswer() throws Exception {
        try (ClosedPort registry = new ClosedPort()) {
            String url = "http://127.0.0.1:" + registry.port();
            Map<String, String> settings = ItApps.appConfig("startup-check-registry", KAFKA.broker().clientProperties(), url,
                    tmp.resolve("state"));
            settings.put(TokvecConfig.STARTUP_CHECK_TIMEOUT_MS, "2000");
            Path config = ChildProcessApp.writeConfig(settings, tmp.resolve("tokvec.properties"));

            ProductionJar.Result r = ProductionJar.run(tmp.resolve("run.log"), "run", "--config", config.toString());

            assertThat(r.exit()).as(r.output()).isEqualTo(1);
            assertThat(r.output().lines().toList()).containsExactly(
                    "run: cannot reach the schema registry at " + url + " (schema.registry.url) within 2 s: connection refused");
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldDescribeTheClusterWhenItAnswers() {
        ClusterCheck.Cluster cluster = ClusterCheck.check(KAFKA.broker().clientProperties(), WAIT, true);

        assertThat(cluster).isEqualTo(new ClusterCheck.Cluster(KAFKA.broker().clusterId(), 1));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldSayTheListenerDoesNotSpeakTlsWhenTheClientUsesSsl() {
        Map<String, Object> ssl = new HashMap<>(KAFKA.broker().clientProperties());
        ssl.put("security.protocol", "SSL");

        StartupCheckException e = catchThrowableOfType(StartupCheckException.class,
                () -> ClusterCheck.check(ssl, Duration.ofSeconds(5), true));

        assertThat(e).hasMessage("the Kafka cluster at " + KAFKA.broker().bootstrapServers() + " (bootstrap.servers) does not"
                + " speak TLS, but security.protocol=SSL: set security.protocol=PLAINTEXT, or give the address of a TLS listener");
    }

    private static String read(Path log) {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
