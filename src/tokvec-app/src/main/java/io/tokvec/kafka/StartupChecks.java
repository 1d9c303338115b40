package io.tokvec.kafka;

import io.tokvec.config.TokvecConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * What {@code run} and {@code publish} check before they start their clients: the Kafka cluster
 * ({@link ClusterCheck}) and the schema registry ({@link RegistryCheck}), at the same time; each must
 * accept a connection within {@code tokvec.startup.check.timeout.ms} (0 skips both). The cluster's
 * failure is reported first.
 */
public final class StartupChecks {

    private static final Logger log = LoggerFactory.getLogger(StartupChecks.class);

    private StartupChecks() {
    }

    /**
     * @param quietLogs keep the Kafka clients' connection warnings out of the console meanwhile
     * @throws StartupCheckException one line naming the setting and what failed
     */
    public static void check(TokvecConfig config, boolean quietLogs) {
        Duration timeout = config.startupCheckTimeout();
        if (timeout.isZero()) {
            return;
        }
        long start = System.nanoTime();
        Map<String, Object> props = config.clientProps();
        CompletableFuture<Void> registry = CompletableFuture.runAsync(() -> RegistryCheck.check(props, timeout, quietLogs));
        ClusterCheck.Cluster cluster;
        try {
            cluster = ClusterCheck.check(props, timeout, quietLogs);
        } catch (RuntimeException e) {
            registry.cancel(true);
            throw e;
        }
        try {
            registry.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw e;
        }
        log.debug("startup checks passed in {} ms: Kafka cluster {} ({} brokers), schema registry {}",
                (System.nanoTime() - start) / 1_000_000, cluster.id(), cluster.brokers(), RegistryCheck.withoutCredentials(String.valueOf(props.get(TokvecConfig.SCHEMA_REGISTRY_URL))));
    }
}
