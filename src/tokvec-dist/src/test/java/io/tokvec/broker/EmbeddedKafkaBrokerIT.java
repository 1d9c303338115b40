package io.tokvec.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A real in-process broker: produce/consume, restart on the same dir and port, loopback only, SASL/PLAIN. */
class EmbeddedKafkaBrokerIT {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void producesConsumesAndSurvivesARestartOnTheSameDirAndPort() throws Exception {
        Path dir = tmp.resolve("data");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().dataDir(dir).defaultPartitions(2).build()) {
            broker.start();
            int port = broker.port();
            String clusterId = broker.clusterId();
            assertThat(port).isPositive();
            assertThat(broker.bootstrapServers()).isEqualTo("127.0.0.1:" + port);
            assertThat(dir.resolve("meta.properties")).isRegularFile();
            assertThat(clusterId).isNotBlank();
            assertThat(broker.lastStartupTime()).isNotNull();

            broker.createTopic("words", 3, Map.of("retention.ms", "-1"));
            broker.createTopic("words", 3, Map.of("retention.ms", "-1")); // idempotent
            broker.createTopic("defaults");
            try (Admin admin = Admin.create(broker.clientProperties())) {
                var words = admin.describeTopics(List.of("words", "defaults")).allTopicNames().get(30, TimeUnit.SECONDS);
                assertThat(words.get("words").partitions()).hasSize(3);
                assertThat(words.get("defaults").partitions()).hasSize(2);
                ConfigEntry retention = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, "words")))
                        .all().get(30, TimeUnit.SECONDS).values().iterator().next().get("retention.ms");
                assertThat(retention.value()).isEqualTo("-1");
            }

            Map<String, String> first = new LinkedHashMap<>();
            first.put("a", "alpha");
            first.put("b", "beta");
            first.put("c", "gamma");
            Map<String, String> second = Map.of("d", "delta");

            try (KafkaProducer<String, String> producer = TestClients.producer(broker.clientProperties())) {
                TestClients.send(producer, "words", first);
                assertThat(TestClients.readWithGroup(broker.clientProperties(), "words", "it-group", 3, WAIT))
                        .isEqualTo(first);

                broker.stop();
                assertThat(broker.isRunning()).isFalse();
                assertThat(connects("127.0.0.1", port)).as("port closed while stopped").isFalse();

                broker.start();
                assertThat(broker.port()).isEqualTo(port);
                assertThat(broker.clusterId()).isEqualTo(clusterId);

                // the producer opened before the restart reconnects to the same address by itself
                TestClients.send(producer, "words", second);
            }

            Map<String, String> all = new HashMap<>(first);
            all.putAll(second);
            assertThat(TestClients.readAll(broker.clientProperties(), "words", 4, WAIT)).isEqualTo(all);
            // the committed group offset survived the restart as well: the group sees only the new record
            assertThat(TestClients.readWithGroup(broker.clientProperties(), "words", "it-group", 1, WAIT))
                    .isEqualTo(second);
        }
        assertThat(dir).as("a given data dir is kept").isDirectory();

        // a brand-new broker object on the same dir: same cluster, same records
        try (EmbeddedKafkaBroker again = EmbeddedKafkaBroker.builder().dataDir(dir).build().start()) {
            assertThat(TestClients.readAll(again.clientProperties(), "words", 4, WAIT)).hasSize(4);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void listensOnLoopback127001Only() throws Exception {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build();
        Path dir = broker.dataDir();
        try (broker) {
            broker.start();
            for (int p : new int[] {broker.port(), broker.controllerPort()}) {
                assertThat(connects("127.0.0.1", p)).as("127.0.0.1:%d", p).isTrue();
                // all of 127.0.0.0/8 reaches this machine, yet a socket bound to 127.0.0.1 alone refuses it
                assertThat(connects("127.0.0.2", p)).as("127.0.0.2:%d", p).isFalse();
                for (InetAddress other : nonLoopbackAddresses()) {
                    assertThat(connects(other.getHostAddress(), p)).as("%s:%d", other, p).isFalse();
                }
            }
            try (Admin admin = Admin.create(broker.clientProperties())) {
                var nodes = admin.describeCluster().nodes().get(30, TimeUnit.SECONDS);
                assertThat(nodes).singleElement().satisfies(n -> {
                    assertThat(n.host()).isEqualTo("127.0.0.1");
                    assertThat(n.port()).isEqualTo(broker.port());
                });
            }
        }
        assertThat(dir).as("a temp data dir is deleted on close").doesNotExist();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void retriesWithNewPortsWhenBindingFailsAndFailsCleanlyOnATakenFixedPort() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            int takenPort = taken.getLocalPort();

            // controller port taken on the first attempt: the broker picks new ports and starts
            try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().controllerPort(takenPort).build().start()) {
                assertThat(broker.controllerPort()).isNotEqualTo(takenPort);
                broker.createTopic("t", 1, Map.of());
                TestClients.produce(broker.clientProperties(), "t", Map.of("k", "v"));
                assertThat(TestClients.readAll(broker.clientProperties(), "t", 1, WAIT)).containsEntry("k", "v");
            }

            // a fixed client port that is taken: start() fails with a clear error, and works once it is free
            try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().port(takenPort).maxBindAttempts(2).build()) {
                Throwable failure = catchThrowable(broker::start);
                assertThat(failure).isInstanceOf(IllegalStateException.class).hasMessageContaining(String.valueOf(takenPort));
                assertThat(broker.isRunning()).isFalse();
                taken.close();
                broker.start();
                assertThat(broker.port()).isEqualTo(takenPort);
                assertThat(connects("127.0.0.1", takenPort)).isTrue();
            }
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void saslPlainAcceptsRightCredentialsAndRejectsAWrongPassword() throws Exception {
        Map<String, String> users = Map.of("alice", "alice-secret", "bob", "b\"o\\b pw");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().saslPlain(users).build().start()) {
            assertThat(broker.saslEnabled()).isTrue();
            broker.createTopic("secure", 1, Map.of());

            Map<String, Object> alice = broker.clientProperties("alice");
            assertThat(alice).containsEntry("bootstrap.servers", broker.bootstrapServers())
                    .containsEntry("security.protocol", "SASL_PLAINTEXT").containsEntry("sasl.mechanism", "PLAIN");
            TestClients.produce(alice, "secure", Map.of("k1", "from alice"));
            TestClients.produce(broker.clientProperties("bob"), "secure", Map.of("k2", "from bob"));
            assertThat(TestClients.readWithGroup(broker.clientProperties("bob"), "secure", "sasl-group", 2, WAIT))
                    .isEqualTo(Map.of("k1", "from alice", "k2", "from bob"));

            Map<String, Object> wrong = new HashMap<>(
                    EmbeddedKafkaBroker.saslClientProperties("alice", "not-her-password"));
            wrong.put("bootstrap.servers", broker.bootstrapServers());
            wrong.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
            wrong.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000);
            try (Admin admin = Admin.create(wrong)) {
                Throwable t = catchThrowable(() -> admin.describeCluster().nodes().get(30, TimeUnit.SECONDS));
                assertThat(t).isInstanceOf(ExecutionException.class)
                        .cause().isInstanceOf(SaslAuthenticationException.class)
                        .hasMessageContaining("Authentication failed");
            }
            Map<String, Object> wrongProducer = new HashMap<>(wrong);
            wrongProducer.remove(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG);
            wrongProducer.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 20_000);
            Throwable producerFailure = catchThrowable(() -> TestClients.produce(wrongProducer, "secure", Map.of("k3", "intruder")));
            assertThat(producerFailure).isNotNull();
            assertThat(isAuthenticationFailure(producerFailure)).as("%s", producerFailure).isTrue();

            Map<String, Object> unknownUser = new HashMap<>(EmbeddedKafkaBroker.saslClientProperties("mallory", "x"));
            unknownUser.put("bootstrap.servers", broker.bootstrapServers());
            try (Admin admin = Admin.create(unknownUser)) {
                Throwable t = catchThrowable(() -> admin.describeCluster().nodes().get(30, TimeUnit.SECONDS));
                assertThat(t).cause().isInstanceOf(SaslAuthenticationException.class);
            }
            assertThat(TestClients.readAll(alice, "secure", 2, WAIT)).doesNotContainKey("k3");
        }
    }

    // ------------------------------------------------------------------ helpers

    /** True when a TCP connection to host:port is accepted; false when it is refused (or times out). */
    static boolean connects(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 2_000);
            return true;
        } catch (ConnectException e) {
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    /** The machine's own addresses other than loopback (may be empty, e.g. in a sandbox without a network). */
    static List<InetAddress> nonLoopbackAddresses() throws IOException {
        List<InetAddress> out = new ArrayList<>();
        for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!nif.isUp() || nif.isLoopback()) {
                continue;
            }
            for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
                    out.add(a);
                }
            }
        }
        return out;
    }

    /** True when t or one of its causes is a SASL authentication failure. */
    static boolean isAuthenticationFailure(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SaslAuthenticationException) {
                return true;
            }
        }
        return false;
    }
}
