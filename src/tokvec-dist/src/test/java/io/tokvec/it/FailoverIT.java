package io.tokvec.it;

import io.tokvec.devkit.LocalSchemaRegistryServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Brokers fail while tokvec runs (see {@link FailoverRun}): a 3-node cluster of {@code tokvec broker --nodes 3}
 * processes, two {@code tokvec run} instances under exactly_once_v2 on 6 partitions, events flowing, a table version
 * published during each failure. (a) SIGKILL of the leader of the output partitions, (b) SIGKILL of the transaction
 * coordinator of tokvec's producers, (c) SIGKILL of the model topic's leader while a version is being published,
 * (d) SIGTERM of two nodes (below min.insync.replicas: writes wait) and both back. Each restarts what it broke. In
 * the end every event was enriched exactly once, exact for its version, and versions never went back within a
 * partition. Prints the longest output pause of each failure.
 */
@Tag(ItTags.FAILOVER)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FailoverIT {

    @TempDir
    static Path tmp;
    static LocalSchemaRegistryServer registry;
    static BrokerProcesses cluster;
    static FailoverRun run;

    @BeforeAll
    static void start() throws Exception {
        registry = new LocalSchemaRegistryServer(0, null);
        Path logs = ChildProcessApp.jar().getParent().resolve("it-logs").resolve("FailoverIT");
        cluster = BrokerProcesses.start(FailoverRun.NODES, tmp.resolve("brokers"), logs, node -> List.of(), Map.of());
        run = new FailoverRun("failover", cluster, Map.of(), Map.of("schema.registry.url", registry.url()), tmp);
    }

    @AfterAll
    static void stop() throws Exception {
        if (run != null) run.close();
        if (cluster != null) cluster.close();
        if (registry != null) registry.close();
    }

    @Test
    @Order(0)
    void shouldReplicateTokvecsTopicsThreeTimesWithMinInsyncReplicasTwo() throws Exception {
        for (String topic : List.of(run.config().inputTopic(), run.config().outputTopic(), run.config().modelTopic(),
                run.config().dlqTopic(), "__transaction_state", "__consumer_offsets")) {
            assertThat(run.replication(topic)).as(topic).isEqualTo("replicas 3, min.insync.replicas 2");
        }
    }

    @Test
    @Order(1)
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void shouldLoseNothingWhenTheLeaderOfTheOutputPartitionsIsKilled() throws Exception {
        run.killLeaderOfOutputPartitions(2);
    }

    @Test
    @Order(2)
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void shouldLoseNothingWhenTheTransactionCoordinatorIsKilled() throws Exception {
        run.killTransactionCoordinator(3);
    }

    @Test
    @Order(3)
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void shouldFinishThePublishWhenTheModelTopicLeaderIsKilledMidPublish() throws Exception {
        run.killModelLeaderWhilePublishing(4);
    }

    @Test
    @Order(4)
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void shouldWaitAndLoseNothingWhenTwoBrokersAreStopped() throws Exception {
        run.stopTwoBrokers(5);
    }

    @Test
    @Order(5)
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void shouldHaveEnrichedEveryEventExactlyOnce() throws Exception {
        run.finish();
    }
}
