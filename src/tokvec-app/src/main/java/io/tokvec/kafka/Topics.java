package io.tokvec.kafka;

import io.tokvec.config.TokvecConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Creates topics when missing, for tokvec and for the devkit's brokers alike. tokvec's own: input,
 * output and dead-letter topics with {@code tokvec.topic.partitions} partitions, and the model topic
 * compacted with one partition (its records must stay in order: a commit and an activate record are
 * compared by position). Replication comes from {@code tokvec.topic.replication.factor} and
 * {@code tokvec.topic.min.insync.replicas} (-1 = the broker's {@code default.replication.factor} and
 * {@code min.insync.replicas}). Existing topics are never changed.
 */
public final class Topics {

    private static final Logger log = LoggerFactory.getLogger(Topics.class);
    /** How long topic creation may take (listing, creating, and each partition getting a leader). */
    public static final Duration TIMEOUT = Duration.ofSeconds(60);

    private Topics() {
    }

    public static void ensureAll(TokvecConfig config) {
        try (Admin admin = Admin.create(config.clientProps())) {
            ensureAll(admin, config);
        }
    }

    public static void ensureAll(Admin admin, TokvecConfig config) {
        List<NewTopic> topics = new ArrayList<>();
        for (String t : List.of(config.inputTopic(), config.outputTopic(), config.dlqTopic())) {
            topics.add(newTopic(config, t, config.topicPartitions(), Map.of()));
        }
        topics.add(modelTopic(config));
        create(admin, topics, TIMEOUT);
        warnIfModelTopicIsPartitioned(admin, config);
    }

    public static void ensureModelTopic(Admin admin, TokvecConfig config) {
        create(admin, List.of(modelTopic(config)), TIMEOUT);
        warnIfModelTopicIsPartitioned(admin, config);
    }

    /** A model topic made elsewhere with several partitions loses the order of commit and activate records. */
    private static void warnIfModelTopicIsPartitioned(Admin admin, TokvecConfig config) {
        try {
            int n = admin.describeTopics(List.of(config.modelTopic())).allTopicNames().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)
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
        return newTopic(config, config.modelTopic(), 1,
                Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
    }

    /** A topic with the config's replication settings (-1: the broker's defaults) and these topic configs. */
    static NewTopic newTopic(TokvecConfig config, String name, int partitions, Map<String, String> configs) {
        Optional<Short> rf = config.topicReplicationFactor() < 0 ? Optional.empty() : Optional.of(config.topicReplicationFactor());
        Map<String, String> all = new HashMap<>(configs);
        if (config.topicMinInsyncReplicas() > 0) {
            all.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Integer.toString(config.topicMinInsyncReplicas()));
        }
        return new NewTopic(name, Optional.of(partitions), rf).configs(all);
    }

    /**
     * Creates the topics that do not exist yet (existing ones are left as they are) and waits until every
     * partition of the ones it created has a leader.
     *
     * @throws IllegalStateException naming the cause (with a hint at the security settings when the
     *     cluster refused the client), or when {@code timeout} passed
     */
    public static void create(Admin admin, Collection<NewTopic> topics, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            Set<String> existing = admin.listTopics().names().get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
            List<NewTopic> missing = topics.stream().filter(t -> !existing.contains(t.name())).toList();
            for (var e : admin.createTopics(missing).values().entrySet()) {
                try {
                    e.getValue().get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
                    log.info("created topic {}", e.getKey());
                } catch (ExecutionException ex) {
                    if (!(ex.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + e.getKey() + ": " + ex.getCause().getMessage()
                                + securityHint(ex.getCause()), ex.getCause());
                    }
                }
            }
            if (!missing.isEmpty()) {
                awaitLeaders(admin, missing.stream().map(NewTopic::name).toList(), deadline);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new IllegalStateException("cannot list or create topics: " + cause.getMessage() + securityHint(cause), cause);
        } catch (TimeoutException e) {
            throw new IllegalStateException("cannot list or create topics within " + timeout.toSeconds()
                    + " s (is the cluster reachable?)", e);
        }
    }

    /** Polls until each partition of each topic has a leader (a new topic's leaders are elected asynchronously). */
    private static void awaitLeaders(Admin admin, List<String> names, long deadline)
            throws InterruptedException, ExecutionException, TimeoutException {
        while (true) {
            String waiting;
            try {
                Map<String, TopicDescription> d = admin.describeTopics(names).allTopicNames()
                        .get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
                waiting = names.stream().filter(n -> !hasAllLeaders(d.get(n))).findFirst().orElse(null);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
                waiting = e.getCause().getMessage();
            }
            if (waiting == null) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("no leader for every partition of " + waiting);
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }

    private static boolean hasAllLeaders(TopicDescription d) {
        return d != null && !d.partitions().isEmpty()
                && d.partitions().stream().map(TopicPartitionInfo::leader).allMatch(l -> l != null && !l.isEmpty());
    }

    /** What to check when the cluster refused the client. */
    static String securityHint(Throwable cause) {
        if (cause instanceof SslAuthenticationException) {
            return " (TLS handshake refused: check ssl.truststore.location / ssl.truststore.password, which must trust"
                    + " the brokers' certificate authority, and security.protocol)";
        }
        if (cause instanceof AuthenticationException || cause instanceof AuthorizationException) {
            return " (check the security settings: security.protocol, sasl.*, ssl.*)";
        }
        return "";
    }

    private static long remainingMillis(long deadline) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }
}
