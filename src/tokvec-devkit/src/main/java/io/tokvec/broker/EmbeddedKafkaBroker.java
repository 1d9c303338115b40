package io.tokvec.broker;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A real, single-node Kafka broker running in this JVM: a one-node {@link EmbeddedKafkaCluster} (one KRaft node
 * that is both broker and controller), listening on 127.0.0.1 only.
 *
 * <pre>{@code
 * try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build().start()) {
 *     broker.createTopic("words", 3, Map.of());
 *     props.put("bootstrap.servers", broker.bootstrapServers());
 *     ...
 * }
 * }</pre>
 *
 * <ul>
 *   <li>Data dir: either a given directory (formatted only when it holds no {@code meta.properties},
 *       otherwise reused with its cluster id and its records) or a fresh temporary directory that
 *       {@link #close()} deletes.</li>
 *   <li>Port: a fixed one, or 0 to pick a free one (retried with new ports when binding fails). Once
 *       started, the broker keeps its port: {@link #stop()} then {@link #start()} binds the same port again,
 *       so clients that were connected before simply reconnect.</li>
 *   <li>SASL: {@link Builder#saslPlain(Map)} turns the client listener into SASL_PLAINTEXT with the PLAIN
 *       mechanism; {@link #clientProperties()} / {@link #clientProperties(String)} then hold the settings a
 *       client needs.</li>
 *   <li>ACLs: {@link Builder#authorizer(String...)} (with SASL) enables KRaft's {@code StandardAuthorizer};
 *       only the given super users, the broker's own account and the controller listener bypass ACLs, and a
 *       resource without ACLs is closed to everybody else.</li>
 * </ul>
 *
 * <p>The controller listens on a second loopback port ({@link #controllerPort()}); the quorum is static
 * ({@code controller.quorum.voters}), so the controller port may change between runs on the same data dir.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    /** The only address the broker binds to. */
    public static final String HOST = LoopbackPorts.HOST;
    /** Node id of the single combined broker/controller node. */
    public static final int NODE_ID = 1;

    private final EmbeddedKafkaCluster cluster;
    private final EmbeddedKafkaCluster.LocalNode node;
    private final int defaultPartitions;

    private EmbeddedKafkaBroker(EmbeddedKafkaCluster cluster) {
        this.cluster = cluster;
        this.node = cluster.node(NODE_ID);
        this.defaultPartitions = cluster.config().defaultPartitions();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Formats the data dir if needed, starts the broker and blocks until it answers as a live broker (or the
     * startup timeout passes). Starting a running broker does nothing.
     *
     * @return this broker
     * @throws IllegalStateException if the broker could not be started (it is then left stopped), or is closed
     */
    public EmbeddedKafkaBroker start() {
        cluster.start();
        return this;
    }

    /** Shuts the broker down cleanly, keeping the data dir and both ports, so {@link #start()} brings the same broker back. */
    public void stop() {
        node.stop();
    }

    /** Stops the broker and deletes the data dir if this broker created it. Idempotent. */
    @Override
    public void close() {
        cluster.close();
    }

    public boolean isRunning() {
        return node.isRunning();
    }

    /** {@code 127.0.0.1:<port>} of the client listener. */
    public String bootstrapServers() {
        return node.bootstrapServers();
    }

    /** The client port; 0 before the first start when a free port was requested. */
    public int port() {
        return node.port();
    }

    /** The controller (KRaft quorum) port; 0 before the first start unless one was given. */
    public int controllerPort() {
        return node.controllerPort();
    }

    public Path dataDir() {
        return node.dataDir();
    }

    /** True when {@link #close()} deletes the data dir (a temporary dir this broker created). */
    public boolean ownsDataDir() {
        return cluster.ownsDataDir();
    }

    public boolean saslEnabled() {
        return cluster.config().security().sasl();
    }

    public int defaultPartitions() {
        return defaultPartitions;
    }

    /** How long the last {@link #start()} took (format included), or null before the first start. */
    public Duration lastStartupTime() {
        return node.lastStartupTime();
    }

    /** The cluster id stored in the data dir's {@code meta.properties}, or null before it was formatted. */
    public String clusterId() {
        return StorageFormatter.clusterId(node.dataDir());
    }

    /** The cluster this broker is the single node of. */
    public EmbeddedKafkaCluster cluster() {
        return cluster;
    }

    /**
     * Settings every client of this broker needs: {@code bootstrap.servers}, plus, with SASL, the security
     * protocol, mechanism and JAAS config of the broker's own internal account (always valid).
     */
    public Map<String, Object> clientProperties() {
        return cluster.clientProperties();
    }

    /** Like {@link #clientProperties()} but authenticating as {@code user}, one of the users given to {@link Builder#saslPlain(Map)}. */
    public Map<String, Object> clientProperties(String user) {
        return cluster.clientProperties(user);
    }

    /** The client-side SASL/PLAIN settings ({@code security.protocol}, {@code sasl.mechanism}, {@code sasl.jaas.config}). */
    public static Map<String, Object> saslClientProperties(String user, String password) {
        return BrokerSecurity.saslClientProperties(user, password);
    }

    /** {@link #createTopic(String, int, Map)} with the default partition count and no configs. */
    public void createTopic(String name) {
        createTopic(name, defaultPartitions, Map.of());
    }

    /** Creates a topic unless it exists already (then it is left as it is), and waits until every partition has a leader. */
    public void createTopic(String name, int partitions, Map<String, String> configs) {
        cluster.createTopic(name, partitions, configs);
    }

    @Override
    public String toString() {
        return "EmbeddedKafkaBroker[" + bootstrapServers() + ", dir " + dataDir() + (isRunning() ? ", running" : "") + "]";
    }

    /** The options of a one-node {@link EmbeddedKafkaCluster.Builder}. */
    public static final class Builder {
        private final EmbeddedKafkaCluster.Builder cluster = EmbeddedKafkaCluster.builder().nodes(1);

        private Builder() {
        }

        /** Use (and keep) this directory; formatted only when it holds no {@code meta.properties}. Default: a temp dir deleted on close. */
        public Builder dataDir(Path dir) {
            cluster.dataDir(dir);
            return this;
        }

        /** Client port on 127.0.0.1; 0 (the default) picks a free one. */
        public Builder port(int port) {
            cluster.port(port);
            return this;
        }

        /** Controller port on 127.0.0.1; 0 (the default) picks a free one. */
        public Builder controllerPort(int port) {
            cluster.controllerPort(port);
            return this;
        }

        /** How many times to try new free ports when binding fails (default 5). */
        public Builder maxBindAttempts(int attempts) {
            cluster.maxBindAttempts(attempts);
            return this;
        }

        /** Broker {@code num.partitions}, also used by {@link EmbeddedKafkaBroker#createTopic(String)} (default 1). */
        public Builder defaultPartitions(int partitions) {
            cluster.defaultPartitions(partitions);
            return this;
        }

        /** How long {@code start()} (and {@code createTopic}) may wait (default 60 s). */
        public Builder startupTimeout(Duration timeout) {
            cluster.startupTimeout(timeout);
            return this;
        }

        /** One extra broker property; applied last, so it overrides the defaults. */
        public Builder brokerProperty(String key, String value) {
            cluster.brokerProperty(key, value);
            return this;
        }

        /** Extra broker properties; applied last, so they override the defaults. */
        public Builder brokerProperties(Map<String, String> properties) {
            cluster.brokerProperties(properties);
            return this;
        }

        /** Makes the client listener SASL_PLAINTEXT with the PLAIN mechanism, accepting these users (name to password). */
        public Builder saslPlain(Map<String, String> usersToPasswords) {
            cluster.saslPlain(usersToPasswords);
            return this;
        }

        /**
         * Enables ACLs ({@link BrokerConfig#STANDARD_AUTHORIZER}, {@code allow.everyone.if.no.acl.found=false}). The
         * given SASL users are super users (typically one admin that creates topics and ACLs); everybody else
         * needs ACLs. Requires {@link #saslPlain(Map)}.
         */
        public Builder authorizer(String... superUsers) {
            cluster.authorizer(superUsers);
            return this;
        }

        public EmbeddedKafkaBroker build() {
            return new EmbeddedKafkaBroker(cluster.build());
        }
    }
}
