package io.tokvec.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link StorageFormatter} with Kafka's own storage tool. */
class StorageFormatterTest {

    @TempDir
    Path tmp;

    @Test
    void shouldDeriveTheSameValidClusterIdFromTheSameBasePort() {
        String id = StorageFormatter.clusterIdForBasePort(9092);
        assertThat(Uuid.fromString(id).toString()).isEqualTo(id);
        assertThat(StorageFormatter.clusterIdForBasePort(9092)).isEqualTo(id);
        assertThat(StorageFormatter.clusterIdForBasePort(9093)).isNotEqualTo(id);
    }

    @Test
    void shouldFormatEachNodeOfAClusterWithTheGivenIdOnlyOnce() throws Exception {
        BrokerConfig config = new BrokerConfig(3, BrokerSecurity.plaintext(), 1, -1, -1, null, Map.of());
        ClusterPorts ports = ClusterPorts.fromBase(3, 20000, 20100);
        String id = StorageFormatter.clusterIdForBasePort(20000);
        for (int node = 1; node <= 3; node++) {
            Path dir = tmp.resolve("node-" + node);
            assertThat(StorageFormatter.clusterId(dir)).isNull();
            StorageFormatter.formatIfNeeded(dir, config.nodeProperties(node, ports, dir), id);
            assertThat(StorageFormatter.clusterId(dir)).isEqualTo(id);
            Properties meta = new Properties();
            try (var in = Files.newInputStream(dir.resolve(StorageFormatter.META_PROPERTIES))) {
                meta.load(in);
            }
            assertThat(meta.getProperty("node.id")).isEqualTo(Integer.toString(node));
        }
        Path one = tmp.resolve("node-1");
        StorageFormatter.formatIfNeeded(one, config.nodeProperties(1, ports, one), StorageFormatter.randomClusterId());
        assertThat(StorageFormatter.clusterId(one)).as("a formatted dir is kept").isEqualTo(id);
    }
}
