package io.tokvec.kafka;

import io.tokvec.config.TokvecConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Creates tokvec's topics when missing: input, output and dead-letter topics with
 * {@code tokvec.topic.partitions} partitions, and the model topic compacted with one partition
 * (its records must stay in order: a commit and an activate record are compared by position).
 * Replication comes from {@code tokvec.topic.replication.factor} (-1 = the broker's default).
 */
public final class Topics {

    private static final Logger log = LoggerFactory.getLogger(Topics.class);

    private Topics() {
    }

    public static void ensureAll(TokvecConfig config) {
        try (Admin admin = Admin.create(config.clientProps())) {
            ensureAll(admin, config);
        }
    }

    public static void ensureAll(Admin admin, TokvecConfig config) {
        List<NewTopic> topics = new ArrayList<>();
        Optional<Short> rf = config.topicReplicationFactor() < 0 ? Optional.empty() : Optional.of(config.topicReplicationFactor());
        Optional<Integer> parts = Optional.of(config.topicPartitions());
        for (String t : List.of(config.inputTopic(), config.outputTopic(), config.dlqTopic())) {
            topics.add(new NewTopic(t, parts, rf));
        }
        topics.add(modelTopic(config));
        create(admin, topics);
        warnIfModelTopicIsPartitioned(admin, config);
    }

    public static void ensureModelTopic(Admin admin, TokvecConfig config) {
        create(admin, List.of(modelTopic(config)));
        warnIfModelTopicIsPartitioned(admin, config);
    }

    /** A model topic made elsewhere with several partitions loses the order of commit and activate records. */
    private static void warnIfModelTopicIsPartitioned(Admin admin, TokvecConfig config) {
        try {
            int n = admin.describeTopics(List.of(config.modelTopic())).allTopicNames().get(60, TimeUnit.SECONDS)
                    .get(config.modelTopic()).partitions().size();
            if (n != 1) {
                log.warn("model topic {} has {} partitions: tokvec expects 1, so that a commit and a later activate record "
                        + "keep their order; with more, a rollback may lose to an older commit", config.modelTopic(), n);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("cannot describe model topic {}: {}", config.modelTopic(), e.getMessage());
        }
    }

    static NewTopic modelTopic(TokvecConfig config) {
        Optional<Short> rf = config.topicReplicationFactor() < 0 ? Optional.empty() : Optional.of(config.topicReplicationFactor());
        return new NewTopic(config.modelTopic(), Optional.of(1), rf)
                .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
    }

    private static void create(Admin admin, List<NewTopic> topics) {
        try {
            Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
            List<NewTopic> missing = topics.stream().filter(t -> !existing.contains(t.name())).toList();
            if (missing.isEmpty()) {
                return;
            }
            for (var e : admin.createTopics(missing).values().entrySet()) {
                try {
                    e.getValue().get(60, TimeUnit.SECONDS);
                    log.info("created topic {}", e.getKey());
                } catch (ExecutionException ex) {
                    if (!(ex.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + e.getKey() + ": " + ex.getCause().getMessage(), ex.getCause());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            String hint = cause instanceof org.apache.kafka.common.errors.AuthenticationException
                    || cause instanceof org.apache.kafka.common.errors.AuthorizationException
                    ? " (check the security settings: security.protocol, sasl.*, ssl.*)" : "";
            throw new IllegalStateException("cannot list or create topics: " + cause.getMessage() + hint, cause);
        } catch (TimeoutException e) {
            throw new IllegalStateException("cannot list or create topics within 60 s (is the cluster reachable?)", e);
        }
    }
}
