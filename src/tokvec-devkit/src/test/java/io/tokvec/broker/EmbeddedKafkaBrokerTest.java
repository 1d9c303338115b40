package io.tokvec.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.BindException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import javax.security.auth.login.AppConfigurationEntry;

import kafka.server.KafkaConfig;
import org.apache.kafka.common.Endpoint;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.security.JaasContext;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.server.ProcessRole;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.jdk.javaapi.CollectionConverters;

/** Configuration of {@link EmbeddedKafkaBroker} without starting a broker (the broker itself: EmbeddedKafkaBrokerIT). */
class EmbeddedKafkaBrokerTest {

    @TempDir
    Path tmp;

    @Test
    void plaintextConfigIsASingleNodeKraftBrokerOnLoopbackAsKafkaReadsIt() throws Exception {
        try (EmbeddedKafkaBroker b = EmbeddedKafkaBroker.builder().dataDir(tmp).defaultPartitions(3).build()) {
            // Kafka's own parsing and validation of a broker's configuration, as the broker starts with it
            KafkaConfig kafka = KafkaConfig.fromProps(b.brokerProperties(1111, 2222));

            assertThat(CollectionConverters.asJava(kafka.processRoles()))
                    .containsExactlyInAnyOrder(ProcessRole.BrokerRole, ProcessRole.ControllerRole);
            List<Endpoint> endpoints = new ArrayList<>(CollectionConverters.asJava(kafka.listeners()));
            endpoints.addAll(CollectionConverters.asJava(kafka.effectiveAdvertisedBrokerListeners()));
            assertThat(endpoints).extracting(Endpoint::port).containsOnly(1111, 2222);
            for (Endpoint e : endpoints) {
                assertThat(InetAddress.getByName(e.host()).isLoopbackAddress()).as("%s on a loopback address", e).isTrue();
            }
            assertThat(kafka.effectiveListenerSecurityProtocolMap()).containsValue(SecurityProtocol.PLAINTEXT)
                    .doesNotContainValue(SecurityProtocol.SASL_PLAINTEXT);
            assertThat(kafka.logDirs()).containsExactly(tmp.toAbsolutePath().normalize().toString());
            assertThat(kafka.getInt("num.partitions")).isEqualTo(3);
            // one broker holds every internal topic, and its in-sync replicas are enough for transactions
            for (String replicas : List.of("default.replication.factor", "offsets.topic.replication.factor",
                    "transaction.state.log.replication.factor", "share.coordinator.state.topic.replication.factor",
                    "transaction.state.log.min.isr", "min.insync.replicas")) {
                assertThat(((Number) kafka.values().get(replicas)).intValue()).as(replicas).isEqualTo(1);
            }
            assertThat(b.clientProperties()).containsOnlyKeys("bootstrap.servers");
        }
        assertThat(tmp).exists(); // a given dir is never deleted
    }

    @Test
    void extraPropertiesOverrideDefaults() {
        try (EmbeddedKafkaBroker b = EmbeddedKafkaBroker.builder().dataDir(tmp)
                .brokerProperties(Map.of("num.partitions", "7", "message.max.bytes", "2000000"))
                .brokerProperty("log.retention.ms", "-1")
                .build()) {
            Properties p = b.brokerProperties(1111, 2222);
            assertThat(p.getProperty("num.partitions")).isEqualTo("7");
            assertThat(p.getProperty("message.max.bytes")).isEqualTo("2000000");
            assertThat(p.getProperty("log.retention.ms")).isEqualTo("-1");
        }
    }

    @Test
    void saslPlainConfigParsesAsJaasWithEveryUser() {
        String tricky = "p\"w\\d x";
        try (EmbeddedKafkaBroker b = EmbeddedKafkaBroker.builder().dataDir(tmp)
                .saslPlain(Map.of("alice", "alice-secret", "bob-2", tricky, "carol.d", "c")).build()) {
            Properties p = b.brokerProperties(1111, 2222);
            assertThat(p.getProperty("listeners")).isEqualTo("SASL_PLAINTEXT://127.0.0.1:1111,CONTROLLER://127.0.0.1:2222");
            assertThat(p.getProperty("listener.security.protocol.map")).isEqualTo("SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT");
            assertThat(p.getProperty("inter.broker.listener.name")).isEqualTo("SASL_PLAINTEXT");
            assertThat(p.getProperty("sasl.enabled.mechanisms")).isEqualTo("PLAIN");
            assertThat(p.getProperty("sasl.mechanism.inter.broker.protocol")).isEqualTo("PLAIN");
            String jaas = p.getProperty("listener.name.sasl_plaintext.plain.sasl.jaas.config");
            assertThat(jaas).startsWith("org.apache.kafka.common.security.plain.PlainLoginModule required ").endsWith(";");

            JaasContext server = JaasContext.loadServerContext(new ListenerName("SASL_PLAINTEXT"), "PLAIN",
                    Map.of("plain.sasl.jaas.config", new Password(jaas)));
            List<AppConfigurationEntry> entries = server.configurationEntries();
            assertThat(entries).hasSize(1);
            Map<String, ?> options = entries.get(0).getOptions();
            assertThat(options.get("user_alice")).isEqualTo("alice-secret");
            assertThat(options.get("user_bob-2")).isEqualTo(tricky);
            assertThat(options.get("user_carol.d")).isEqualTo("c");
            assertThat(options.get("username")).isEqualTo(EmbeddedKafkaBroker.INTERNAL_USER);
            assertThat(options.get("user_" + EmbeddedKafkaBroker.INTERNAL_USER)).isEqualTo(options.get("password"));

            Map<String, Object> client = b.clientProperties("bob-2");
            assertThat(client).containsEntry("security.protocol", "SASL_PLAINTEXT").containsEntry("sasl.mechanism", "PLAIN");
            JaasContext c = JaasContext.loadClientContext(Map.of("sasl.jaas.config", new Password((String) client.get("sasl.jaas.config"))));
            Map<String, ?> clientOptions = c.configurationEntries().get(0).getOptions();
            assertThat(clientOptions.get("username")).isEqualTo("bob-2");
            assertThat(clientOptions.get("password")).isEqualTo(tricky);
            assertThat(b.clientProperties()).containsKey("sasl.jaas.config");
            assertThatThrownBy(() -> b.clientProperties("nobody")).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void builderRejectsBadOptions() {
        assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().port(70000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().defaultPartitions(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().saslPlain(Map.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().saslPlain(Map.of("a b", "x"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().saslPlain(Map.of("x=y", "x"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tempDataDirIsOwnedAndDeletedOnClose() throws Exception {
        EmbeddedKafkaBroker b = EmbeddedKafkaBroker.builder().build();
        Path dir = b.dataDir();
        assertThat(b.ownsDataDir()).isTrue();
        Files.writeString(dir.resolve("some-file"), "x");
        Files.createDirectories(dir.resolve("sub/dir"));
        b.close();
        assertThat(dir).doesNotExist();
        assertThatThrownBy(b::start).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void givenDataDirIsCreatedWhenMissing() {
        Path dir = tmp.resolve("a/b/c");
        try (EmbeddedKafkaBroker b = EmbeddedKafkaBroker.builder().dataDir(dir).build()) {
            assertThat(b.dataDir()).isDirectory();
            assertThat(b.clusterId()).isNull();
            assertThat(b.isRunning()).isFalse();
            assertThat(b.port()).isZero();
        }
        assertThat(dir).isDirectory();
    }

    @Test
    void recognisesBindFailures() {
        assertThat(EmbeddedKafkaBroker.isBindFailure(new KafkaException("x", new BindException("Address already in use")))).isTrue();
        assertThat(EmbeddedKafkaBroker.isBindFailure(new KafkaException("Socket server failed to bind to 127.0.0.1:9092: Address already in use."))).isTrue();
        assertThat(EmbeddedKafkaBroker.isBindFailure(new KafkaException("something else"))).isFalse();
    }

    @Test
    void freePortAvoidsGivenPorts() {
        int p = EmbeddedKafkaBroker.freePort();
        assertThat(p).isPositive();
        assertThat(EmbeddedKafkaBroker.freePort(p)).isNotEqualTo(p);
    }
}
