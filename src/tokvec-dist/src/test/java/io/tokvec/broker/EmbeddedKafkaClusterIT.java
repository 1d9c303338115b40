package io.tokvec.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.tokvec.it.Await;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three KRaft nodes in this JVM ({@link EmbeddedKafkaCluster}): topics replicated three times with
 * min.insync.replicas 2; with one node stopped the others keep serving; the stopped node comes back on the same
 * port and data and catches up.
 */
@Tag("failover")
class EmbeddedKafkaClusterIT {

    private static final Duration WAIT = Duration.ofSeconds(120);

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void shouldServeWithANodeStoppedAndTakeItBackOnTheSamePortAndData() throws Exception {
        try (EmbeddedKafkaCluster cluster = EmbeddedKafkaCluster.builder().nodes(3).dataDir(tmp).build().start()) {
            Map<String, Object> client = cluster.clientProperties();
            assertThat(cluster.localNodes()).hasSize(3).allSatisfy(n -> assertThat(n.isRunning()).isTrue());
            cluster.createTopic("words", 3, Map.of());
            try (Admin admin = Admin.create(client)) {
                assertThat(admin.describeCluster().nodes().get(60, TimeUnit.SECONDS)).extracting(Node::id)
                        .containsExactlyInAnyOrder(1, 2, 3);
                TopicDescription words = admin.describeTopics(List.of("words")).allTopicNames().get(60, TimeUnit.SECONDS).get("words");
                assertThat(words.partitions()).allSatisfy(p -> assertThat(p.replicas()).hasSize(3));
                ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, "words");
                ConfigEntry minIsr = admin.describeConfigs(List.of(r)).all().get(60, TimeUnit.SECONDS).get(r).get("min.insync.replicas");
                assertThat(minIsr.value()).isEqualTo("2");
            }

            Map<String, String> before = new LinkedHashMap<>();
            for (int i = 0; i < 30; i++) before.put("k" + i, "before-" + i);
            try (KafkaProducer<String, String> producer = TestClients.producer(client)) {
                TestClients.send(producer, "words", before);
            }

            EmbeddedKafkaCluster.LocalNode two = cluster.node(2);
            int port = two.port();
            two.stop();
            assertThat(two.isRunning()).isFalse();
            Map<String, String> during = new LinkedHashMap<>();
            for (int i = 0; i < 30; i++) during.put("d" + i, "during-" + i);
            try (KafkaProducer<String, String> producer = TestClients.producer(client)) {
                TestClients.send(producer, "words", during); // acks=all: two in-sync replicas left
            }

            two.start();
            assertThat(two.port()).isEqualTo(port);
            assertThat(TestClients.readAll(Map.of("bootstrap.servers", two.bootstrapServers()), "words", 60, WAIT))
                    .containsAllEntriesOf(before).containsAllEntriesOf(during);
            try (Admin admin = Admin.create(client)) {
                Await.until(WAIT, "node 2 back in every ISR", () -> {
                    try {
                        return admin.describeTopics(List.of("words")).allTopicNames().get(60, TimeUnit.SECONDS).get("words")
                                .partitions().stream().map(TopicPartitionInfo::isr).allMatch(isr -> isr.size() == 3);
                    } catch (Exception e) {
                        return false;
                    }
                });
            }
        }
    }
}
