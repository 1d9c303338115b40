package io.tokvec.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import javax.security.auth.login.AppConfigurationEntry;

import kafka.server.KafkaConfig;
import org.apache.kafka.common.Endpoint;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.security.JaasContext;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.server.ProcessRole;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The node properties {@link BrokerConfig} writes, read back through Kafka's own parsers ({@link KafkaConfig},
 * {@link JaasContext}): what a broker would make of them.
 */
class BrokerConfigTest {

    @TempDir
    Path tmp;

    private static final ClusterPorts THREE = ClusterPorts.fromBase(3, 20000, 20100);

    @Test
    void shouldBeASingleNodeKraftBrokerOnLoopbackAsKafkaReadsItWhenThereIsOneNode() throws Exception {
        BrokerConfig config = new BrokerConfig(1, BrokerSecurity.plaintext(), 3, -1, -1, null, Map.of());
        // Kafka's own parsing and validation of a broker's configuration, as the broker starts with it
        KafkaConfig kafka = KafkaConfig.fromProps(config.nodeProperties(1, ClusterPorts.fromBase(1, 1111, 2222), tmp));
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
    }

    @Test
    void shouldMakeEveryNodeAVoterAndReplicateThreeTimesWhenThereAreThreeNodes() {
        BrokerConfig config = new BrokerConfig(3, BrokerSecurity.plaintext(), 6, -1, -1, null, Map.of());
        KafkaConfig node2 = KafkaConfig.fromProps(config.nodeProperties(2, THREE, tmp), false);
        assertThat(node2.nodeId()).isEqualTo(2);
        assertThat(node2.getList("controller.quorum.voters"))
                .containsExactly("1@127.0.0.1:20100", "2@127.0.0.1:20101", "3@127.0.0.1:20102");
        assertThat(node2.getList("advertised.listeners")).containsExactly("PLAINTEXT://127.0.0.1:20001");
        assertThat(node2.defaultReplicationFactor()).isEqualTo(3);
        assertThat(node2.minInSyncReplicas()).isEqualTo(2);
        assertThat(node2.getShort("offsets.topic.replication.factor")).isEqualTo((short) 3);
        assertThat(node2.getShort("transaction.state.log.replication.factor")).isEqualTo((short) 3);
        assertThat(node2.getInt("transaction.state.log.min.isr")).isEqualTo(2);
        assertThat(node2.numPartitions()).isEqualTo(6);
    }

    @Test
    void shouldReplicateAsMuchAsTheNodesAllowWhenThereAreFewerThanThree() {
        assertThat(new BrokerConfig(1, BrokerSecurity.plaintext(), 1, -1, -1, null, Map.of()).replicationFactor()).isEqualTo(1);
        BrokerConfig two = new BrokerConfig(2, BrokerSecurity.plaintext(), 1, -1, -1, null, Map.of());
        assertThat(two.replicationFactor()).isEqualTo(2);
        assertThat(two.minInsyncReplicas()).isEqualTo(2);
        BrokerConfig five = new BrokerConfig(5, BrokerSecurity.plaintext(), 1, -1, -1, null, Map.of());
        assertThat(five.replicationFactor()).isEqualTo(3);
        assertThat(five.minInsyncReplicas()).isEqualTo(2);
        assertThatThrownBy(() -> new BrokerConfig(3, BrokerSecurity.plaintext(), 1, 4, -1, null, Map.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BrokerConfig(3, BrokerSecurity.plaintext(), 1, 2, 3, null, Map.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldApplyExtraPropertiesLast() {
        BrokerConfig config = new BrokerConfig(1, BrokerSecurity.plaintext(), 1, -1, -1, null,
                Map.of("num.partitions", "7", "log.retention.ms", "-1"));
        Properties p = config.nodeProperties(1, ClusterPorts.fromBase(1, 1111, 2222), tmp);
        assertThat(p.getProperty("num.partitions")).isEqualTo("7");
        assertThat(p.getProperty("log.retention.ms")).isEqualTo("-1");
    }

    @Test
    void shouldListEveryUserInTheServerJaasConfigWhenSaslIsOn() {
        String tricky = "p\"w\\d x";
        BrokerSecurity security = BrokerSecurity.of(Map.of("alice", "alice-secret", "bob-2", tricky), null, null);
        BrokerConfig config = new BrokerConfig(1, security, 1, -1, -1, List.of("alice"), Map.of());
        Properties p = config.nodeProperties(1, ClusterPorts.fromBase(1, 1111, 2222), tmp);
        KafkaConfig kafka = KafkaConfig.fromProps(p, false);
        assertThat(kafka.interBrokerListenerName().value()).isEqualTo("SASL_PLAINTEXT");
        assertThat(p.getProperty("super.users")).isEqualTo("User:ANONYMOUS;User:tokvec_internal;User:alice");

        String jaas = p.getProperty("listener.name.sasl_plaintext.plain.sasl.jaas.config");
        List<AppConfigurationEntry> entries = JaasContext.loadServerContext(new ListenerName("SASL_PLAINTEXT"), "PLAIN",
                Map.of("plain.sasl.jaas.config", new Password(jaas))).configurationEntries();
        Map<String, ?> options = entries.get(0).getOptions();
        assertThat(options.get("user_alice")).isEqualTo("alice-secret");
        assertThat(options.get("user_bob-2")).isEqualTo(tricky);
        assertThat(options.get("username")).isEqualTo(BrokerSecurity.INTERNAL_USER);
        assertThat(options.get("user_" + BrokerSecurity.INTERNAL_USER)).isEqualTo(options.get("password"));
    }

    @Test
    void shouldReplicateOverTlsWithTheStoresWhenSaslSslIsOn() {
        BrokerSecurity.TlsStores stores = new BrokerSecurity.TlsStores(tmp.resolve("node.p12"), tmp.resolve("ca.p12"), "pw", null);
        BrokerSecurity security = BrokerSecurity.of(Map.of("tokvec", "secret"), stores, null);
        assertThat(security.protocol()).isEqualTo(SecurityProtocol.SASL_SSL);
        Properties p = new BrokerConfig(3, security, 1, -1, -1, null, Map.of()).nodeProperties(1, THREE, tmp);
        assertThat(p.getProperty("listeners")).isEqualTo("SASL_SSL://127.0.0.1:20000,CONTROLLER://127.0.0.1:20100");
        assertThat(p.getProperty("inter.broker.listener.name")).isEqualTo("SASL_SSL");
        assertThat(p.getProperty("ssl.keystore.location")).isEqualTo(tmp.resolve("node.p12").toString());
        assertThat(p.getProperty("ssl.truststore.type")).isEqualTo("PKCS12");
        assertThat(p.getProperty("listener.name.sasl_ssl.plain.sasl.jaas.config")).contains("user_tokvec=\"secret\"");

        Map<String, Object> client = security.clientProperties("tokvec", "secret");
        assertThat(client).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("ssl.truststore.location", tmp.resolve("ca.p12").toString())
                .doesNotContainKey("ssl.keystore.location");
    }

    @Test
    void shouldAgreeOnTheInternalPasswordOnlyWithTheSameAccountsAndCluster() {
        Map<String, String> users = Map.of("a", "1", "b", "2");
        String p = BrokerSecurity.sharedInternalPassword(users, "cluster-x");
        assertThat(BrokerSecurity.sharedInternalPassword(Map.of("b", "2", "a", "1"), "cluster-x")).isEqualTo(p);
        assertThat(BrokerSecurity.sharedInternalPassword(Map.of("a", "1", "b", "3"), "cluster-x")).isNotEqualTo(p);
        assertThat(BrokerSecurity.sharedInternalPassword(users, "cluster-y")).isNotEqualTo(p);
    }
}
