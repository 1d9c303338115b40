package io.tokvec.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import io.tokvec.kafka.Topics;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Node;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real KRaft cluster of N nodes (each broker and controller, a static quorum of all N), listening on 127.0.0.1
 * only, of which this JVM runs all nodes or some ({@link Builder#localNodes}; {@code tokvec broker --nodes N
 * --node-id K} runs one). Each local node can be stopped and started again on the same ports and data.
 *
 * <pre>{@code
 * try (EmbeddedKafkaCluster cluster = EmbeddedKafkaCluster.builder().nodes(3).build().start()) {
 *     cluster.createTopic("words", 6, Map.of());         // replication factor 3, min.insync.replicas 2
 *     props.putAll(cluster.clientProperties());
 *     cluster.node(2).stop();                              // the others keep serving
 *     cluster.node(2).start();
 * }
 * }</pre>
 *
 * <ul>
 *   <li>Ports: free ones (the default, re-picked when binding fails on the first start), or a base port: node K
 *       listens on BASE + K - 1, its controller on BASE + 100 + K - 1 (with one node, on a free port unless
 *       given). Once started, a node keeps its ports.</li>
 *   <li>Data: a given directory (one node: the directory itself; several: {@code node-K} under it), formatted only
 *       when it holds no {@code meta.properties}, or a temporary directory that {@link #close()} deletes.</li>
 *   <li>Cluster id: given, or derived from a fixed base port with several nodes (so that processes started with
 *       the same options agree), or random.</li>
 *   <li>Replication and security: see {@link BrokerConfig} and {@link BrokerSecurity}.</li>
 * </ul>
 */
public final class EmbeddedKafkaCluster implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaCluster.class);

    private final BrokerConfig config;
    private final Path baseDir;
    private final boolean ownsBaseDir;
    private final boolean freePorts;
    private final int preferredControllerBase; // with free client ports: controller ports to try first (0: none)
    private final int maxBindAttempts;
    private final Duration startupTimeout;
    private final String givenClusterId;
    private final Map<Integer, LocalNode> local = new LinkedHashMap<>();
    private volatile ClusterPorts ports;
    private volatile String clusterId;
    private volatile boolean everStarted;
    private volatile boolean closed;

    private EmbeddedKafkaCluster(Builder b) {
        Map<String, String> users = b.saslUsers;
        String clusterIdForSecrets = b.clusterId != null ? b.clusterId
                : b.port != 0 && b.nodes > 1 ? StorageFormatter.clusterIdForBasePort(b.port) : null;
        // nodes in other processes must agree on the internal account's password; those of one JVM share a random one
        String internalPassword = users != null && b.localNodes != null && clusterIdForSecrets != null
                ? BrokerSecurity.sharedInternalPassword(users, clusterIdForSecrets) : null;
        BrokerSecurity security = users == null && b.tls == null ? BrokerSecurity.plaintext()
                : BrokerSecurity.of(users, b.tls, internalPassword);
        this.config = new BrokerConfig(b.nodes, security, b.defaultPartitions, b.replicationFactor, b.minInsyncReplicas,
                b.superUsers, b.extraProperties);
        this.freePorts = b.port == 0;
        if (!freePorts) {
            int controllerBase = b.controllerPort != 0 ? b.controllerPort
                    : b.nodes == 1 ? LoopbackPorts.freePort(b.port) : b.port + LoopbackPorts.CONTROLLER_OFFSET;
            this.ports = ClusterPorts.fromBase(b.nodes, b.port, controllerBase);
        }
        this.preferredControllerBase = freePorts ? b.controllerPort : 0;
        this.maxBindAttempts = b.maxBindAttempts;
        this.startupTimeout = b.startupTimeout;
        this.givenClusterId = b.clusterId != null ? b.clusterId : clusterIdForSecrets;
        try {
            if (b.dataDir == null) {
                this.baseDir = Files.createTempDirectory("tokvec-broker-").toAbsolutePath();
                this.ownsBaseDir = true;
            } else {
                this.baseDir = Files.createDirectories(b.dataDir.toAbsolutePath().normalize());
                this.ownsBaseDir = false;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the broker data dir", e);
        }
        Collection<Integer> ids = b.localNodes != null ? b.localNodes
                : java.util.stream.IntStream.rangeClosed(1, b.nodes).boxed().toList();
        for (int id : ids) {
            if (id < 1 || id > b.nodes) {
                throw new IllegalArgumentException("node id " + id + " is not in 1.." + b.nodes);
            }
            Path dir = b.nodes == 1 ? baseDir : baseDir.resolve("node-" + id);
            local.put(id, new LocalNode(new KafkaNode(id), dir));
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Formats the local nodes' data dirs where needed, starts every local node that is not running (concurrently)
     * and waits until each of them is a live broker of the cluster. With a cluster spread over processes this
     * returns once a quorum of nodes is up.
     *
     * @return this cluster
     * @throws IllegalStateException if a node could not be started (the nodes this call started are stopped again)
     */
    public synchronized EmbeddedKafkaCluster start() {
        requireOpen();
        RuntimeException lastBindFailure = null;
        for (int attempt = 1; attempt <= maxBindAttempts; attempt++) {
            if (ports == null) {
                ports = attempt == 1 && preferredControllerBase != 0 ? withControllerBase(preferredControllerBase)
                        : ClusterPorts.free(config.nodes());
            }
            List<LocalNode> toStart = local.values().stream().filter(n -> !n.node.isRunning()).toList();
            String id = clusterIdToFormat();
            try {
                startConcurrently(toStart, id);
                awaitLive(toStart.stream().map(n -> n.node.id()).collect(Collectors.toSet()));
                everStarted = true;
                return this;
            } catch (RuntimeException e) {
                toStart.forEach(n -> n.stopQuietly());
                if (LoopbackPorts.isBindFailure(e) && freePorts && !everStarted && attempt < maxBindAttempts) {
                    log.info("Kafka could not bind ({}): {}; retrying with other ports", ports, rootMessage(e));
                    ports = null;
                    lastBindFailure = e;
                    continue;
                }
                throw e;
            }
        }
        throw new IllegalStateException("Kafka could not bind its ports after " + maxBindAttempts + " attempts", lastBindFailure);
    }

    /** Free client ports, and controller ports from {@code controllerBase} on (given, so tried first: binding may fail). */
    private ClusterPorts withControllerBase(int controllerBase) {
        List<Integer> controller = new ArrayList<>();
        List<Integer> client = new ArrayList<>();
        for (int i = 0; i < config.nodes(); i++) {
            controller.add(controllerBase + i);
        }
        for (int i = 0; i < config.nodes(); i++) {
            List<Integer> avoid = new ArrayList<>(controller);
            avoid.addAll(client);
            client.add(LoopbackPorts.freePort(avoid.stream().mapToInt(Integer::intValue).toArray()));
        }
        return new ClusterPorts(client, controller);
    }

    private void startConcurrently(List<LocalNode> nodes, String clusterId) {
        if (nodes.size() == 1) {
            nodes.get(0).startServer(clusterId);
            return;
        }
        List<CompletableFuture<Void>> starts = new ArrayList<>();
        for (LocalNode n : nodes) {
            starts.add(CompletableFuture.runAsync(() -> n.startServer(clusterId), r -> {
                Thread t = new Thread(r, "tokvec-start-node-" + n.node.id());
                t.setDaemon(true);
                t.start();
            }));
        }
        try {
            CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    /** Stops every local node (concurrently: the last ones of a quorum need each other to shut down in order). */
    public synchronized void stop() {
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        for (LocalNode n : local.values()) {
            stops.add(CompletableFuture.runAsync(n::stop));
        }
        CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new)).join();
    }

    /** Stops the nodes and deletes the data dir if this cluster created it. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            stop();
        } finally {
            if (ownsBaseDir) {
                deleteRecursively(baseDir);
                log.info("Deleted broker data dir {}", baseDir);
            }
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("cluster is closed");
        }
    }

    // ------------------------------------------------------------------ accessors

    /** A local node by id (1-based). */
    public LocalNode node(int id) {
        LocalNode n = local.get(id);
        if (n == null) {
            throw new IllegalArgumentException("node " + id + " does not run in this JVM (local nodes: " + local.keySet() + ")");
        }
        return n;
    }

    public List<LocalNode> localNodes() {
        return List.copyOf(local.values());
    }

    public BrokerConfig config() {
        return config;
    }

    /** The ports of every node, or null before the first start when free ports were asked for. */
    public ClusterPorts ports() {
        return ports;
    }

    /** {@code 127.0.0.1:<port>} of every node's client listener, comma-separated. */
    public String bootstrapServers() {
        ClusterPorts p = ports;
        return p == null ? LoopbackPorts.HOST + ":0" : p.bootstrapServers();
    }

    /** The directory holding the data (one node: its data dir; several: their {@code node-K} dirs). */
    public Path dataDir() {
        return baseDir;
    }

    /** True when {@link #close()} deletes the data dir (a temporary dir this cluster created). */
    public boolean ownsDataDir() {
        return ownsBaseDir;
    }

    /** The cluster id, or null before the first format. */
    public String clusterId() {
        if (clusterId == null) {
            clusterId = local.values().stream().map(n -> StorageFormatter.clusterId(n.dataDir))
                    .filter(Objects::nonNull).findFirst().orElse(null);
        }
        return clusterId;
    }

    /**
     * Settings every client of this cluster needs: {@code bootstrap.servers} (every node), plus the security
     * settings of the brokers' own internal account (always valid).
     */
    public Map<String, Object> clientProperties() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        if (config.security().sasl() || config.security().tls() != null) {
            m.putAll(config.security().sasl() ? config.security().internalClientProperties()
                    : config.security().clientProperties(null, null));
        }
        return m;
    }

    /** Like {@link #clientProperties()} but authenticating as {@code user}, one of the SASL users. */
    public Map<String, Object> clientProperties(String user) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        m.putAll(config.security().clientProperties(user, config.security().password(user)));
        return m;
    }

    // ------------------------------------------------------------------ topics

    /**
     * Creates a topic unless it exists already (then it is left as it is), with the cluster's replication factor
     * and min.insync.replicas, and waits until every partition has a leader.
     */
    public void createTopic(String name, int partitions, Map<String, String> configs) {
        Objects.requireNonNull(name, "name");
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1: " + partitions);
        }
        try (Admin admin = Admin.create(adminProperties())) {
            Topics.create(admin, List.of(new NewTopic(name, Optional.of(partitions), Optional.empty())
                    .configs(configs == null ? Map.of() : configs)), startupTimeout);
        }
    }

    // ------------------------------------------------------------------ internals

    private Map<String, Object> adminProperties() {
        Map<String, Object> m = new LinkedHashMap<>(clientProperties());
        m.put(AdminClientConfig.CLIENT_ID_CONFIG, "tokvec-embedded-broker-admin");
        m.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        m.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        m.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200);
        m.put(AdminClientConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 200);
        return m;
    }

    /**
     * The cluster id the local nodes are formatted with: one already on disk, the given or derived one, or a new one.
     * Called with the cluster's lock held, before the nodes start (they start on threads of their own while
     * {@link #start()} holds the lock).
     */
    private String clusterIdToFormat() {
        String onDisk = clusterId();
        if (onDisk != null) {
            return onDisk;
        }
        clusterId = givenClusterId != null ? givenClusterId : StorageFormatter.randomClusterId();
        return clusterId;
    }

    /** Waits until every one of {@code ids} is a live (registered, unfenced) broker of the cluster. */
    private void awaitLive(Set<Integer> ids) {
        long deadline = System.nanoTime() + startupTimeout.toNanos();
        Throwable last = null;
        Set<Integer> live = Set.of();
        try (Admin admin = Admin.create(adminProperties())) {
            while (System.nanoTime() < deadline) {
                try {
                    Collection<Node> nodes = admin.describeCluster().nodes().get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
                    live = nodes.stream().map(Node::id).collect(Collectors.toCollection(TreeSet::new));
                    if (live.containsAll(ids)) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    last = e instanceof ExecutionException ? e.getCause() : e;
                }
                TimeUnit.MILLISECONDS.sleep(Math.min(100, remainingMillis(deadline)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the brokers", e);
        }
        throw new IllegalStateException("Kafka nodes " + ids + " on " + bootstrapServers() + " were not all live brokers within "
                + startupTimeout.toMillis() + " ms (live: " + live + ")" + (last == null ? "" : ": " + rootMessage(last)), last);
    }

    private static long remainingMillis(long deadline) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            log.warn("could not delete broker data dir {}: {}", dir, e.toString());
        }
    }

    @Override
    public String toString() {
        return "EmbeddedKafkaCluster[" + config.nodes() + " nodes, local " + local.keySet() + ", " + bootstrapServers()
                + ", dir " + baseDir + "]";
    }

    // ------------------------------------------------------------------ one node

    /** One node of the cluster running in this JVM: stoppable and restartable on the same ports and data. */
    public final class LocalNode {
        private final KafkaNode node;
        private final Path dataDir;
        private volatile Duration lastStartupTime;

        private LocalNode(KafkaNode node, Path dataDir) {
            this.node = node;
            this.dataDir = dataDir;
        }

        public int id() {
            return node.id();
        }

        /** The client port; 0 before the cluster's first start when free ports were asked for. */
        public int port() {
            ClusterPorts p = ports;
            return p == null ? 0 : p.clientPort(node.id());
        }

        /** The controller (KRaft quorum) port; 0 before the cluster's first start when free ports were asked for. */
        public int controllerPort() {
            ClusterPorts p = ports;
            return p == null ? 0 : p.controllerPort(node.id());
        }

        /** {@code 127.0.0.1:<port>} of this node's client listener. */
        public String bootstrapServers() {
            return LoopbackPorts.HOST + ":" + port();
        }

        public Path dataDir() {
            return dataDir;
        }

        public boolean isRunning() {
            return node.isRunning();
        }

        /** How long this node's last start took (format included), or null before the first start. */
        public Duration lastStartupTime() {
            return lastStartupTime;
        }

        /** Starts this node again (after {@link #stop()}) on its ports and data, and waits until it is a live broker. */
        public LocalNode start() {
            synchronized (EmbeddedKafkaCluster.this) {
                requireOpen();
                if (ports == null) {
                    throw new IllegalStateException("start the cluster first");
                }
                if (!node.isRunning()) {
                    startServer(clusterIdToFormat());
                    awaitLive(Set.of(node.id()));
                }
            }
            return this;
        }

        /** Shuts this node down cleanly, keeping its data dir and ports. Stopping a stopped node does nothing. */
        public void stop() {
            node.stop();
        }

        private void startServer(String id) {
            long t0 = System.nanoTime();
            java.util.Properties props = config.nodeProperties(node.id(), ports, dataDir);
            StorageFormatter.formatIfNeeded(dataDir, props, id);
            try {
                node.start(props);
            } catch (RuntimeException e) {
                throw new IllegalStateException("Kafka node " + node.id() + " failed to start on " + bootstrapServers()
                        + " (controller port " + controllerPort() + ", data dir " + dataDir + "): " + rootMessage(e), e);
            }
            lastStartupTime = Duration.ofNanos(System.nanoTime() - t0);
            log.info("Kafka node {} of {} listening on {} (controller {}:{}, data dir {}, cluster id {}, {}) - started in {} ms",
                    node.id(), config.nodes(), bootstrapServers(), LoopbackPorts.HOST, controllerPort(), dataDir, id,
                    config.security().protocol(), lastStartupTime.toMillis());
        }

        private void stopQuietly() {
            try {
                node.stop();
            } catch (RuntimeException e) {
                log.warn("error while stopping node {}: {}", node.id(), e.toString());
            }
        }

        @Override
        public String toString() {
            return "node " + node.id() + " on " + bootstrapServers() + (isRunning() ? " (running)" : " (stopped)");
        }
    }

    // ------------------------------------------------------------------ builder

    public static final class Builder {
        private int nodes = 1;
        private Collection<Integer> localNodes;
        private Path dataDir;
        private int port;
        private int controllerPort;
        private String clusterId;
        private int maxBindAttempts = 5;
        private int defaultPartitions = 1;
        private int replicationFactor = -1;
        private int minInsyncReplicas = -1;
        private Duration startupTimeout = Duration.ofSeconds(60);
        private final Map<String, String> extraProperties = new LinkedHashMap<>();
        private Map<String, String> saslUsers;
        private BrokerSecurity.TlsStores tls;
        private List<String> superUsers;

        private Builder() {
        }

        /** Nodes in the cluster (default 1); each is broker and controller. */
        public Builder nodes(int nodes) {
            if (nodes < 1) {
                throw new IllegalArgumentException("a cluster has at least one node: " + nodes);
            }
            this.nodes = nodes;
            return this;
        }

        /** The node ids (1-based) this JVM runs; default: all. The others run elsewhere (other processes). */
        public Builder localNodes(Integer... ids) {
            this.localNodes = new TreeSet<>(List.of(ids));
            return this;
        }

        /**
         * Use (and keep) this directory; formatted only when it holds no {@code meta.properties}. With several
         * nodes, node K keeps its data in {@code node-K} under it. Default: a temp dir deleted on close.
         */
        public Builder dataDir(Path dir) {
            this.dataDir = dir;
            return this;
        }

        /** Client port of node 1 on 127.0.0.1 (node K: this + K - 1); 0 (the default) picks free ports. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            this.port = port;
            return this;
        }

        /**
         * Controller port of node 1 (node K: this + K - 1); 0 (the default): the client port + 100, or with one node a
         * free port. With free client ports, tried first and replaced by free ones if it cannot be bound.
         */
        public Builder controllerPort(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("controller port out of range: " + port);
            }
            this.controllerPort = port;
            return this;
        }

        /** The cluster id to format new data dirs with (default: derived from a fixed base port with several nodes, else random). */
        public Builder clusterId(String clusterId) {
            this.clusterId = clusterId;
            return this;
        }

        /** How many times to try new free ports when binding fails on the first start (default 5). */
        public Builder maxBindAttempts(int attempts) {
            if (attempts < 1) {
                throw new IllegalArgumentException("attempts must be >= 1");
            }
            this.maxBindAttempts = attempts;
            return this;
        }

        /** Broker {@code num.partitions} (default 1). */
        public Builder defaultPartitions(int partitions) {
            if (partitions < 1) {
                throw new IllegalArgumentException("partitions must be >= 1");
            }
            this.defaultPartitions = partitions;
            return this;
        }

        /** Replication factor of internal topics and of topics created without one; -1 (default): min(3, nodes). */
        public Builder replicationFactor(int replicationFactor) {
            this.replicationFactor = replicationFactor;
            return this;
        }

        /** {@code min.insync.replicas} of the cluster and of the transaction log; -1 (default): min(2, nodes). */
        public Builder minInsyncReplicas(int minInsyncReplicas) {
            this.minInsyncReplicas = minInsyncReplicas;
            return this;
        }

        /** How long {@code start()} (and {@code createTopic}) may wait (default 60 s). */
        public Builder startupTimeout(Duration timeout) {
            this.startupTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        /** One extra broker property; applied last, so it overrides the defaults. */
        public Builder brokerProperty(String key, String value) {
            extraProperties.put(Objects.requireNonNull(key), Objects.requireNonNull(value));
            return this;
        }

        /** Extra broker properties; applied last, so they override the defaults. */
        public Builder brokerProperties(Map<String, String> properties) {
            properties.forEach(this::brokerProperty);
            return this;
        }

        /** SASL/PLAIN on the client listener, accepting these users (name to password). */
        public Builder saslPlain(Map<String, String> usersToPasswords) {
            Map<String, String> users = new LinkedHashMap<>(usersToPasswords);
            BrokerSecurity.checkUsers(users);
            this.saslUsers = users;
            return this;
        }

        /** TLS on the client listener (SSL, or SASL_SSL with {@link #saslPlain}), which the brokers replicate over too. */
        public Builder tls(BrokerSecurity.TlsStores stores) {
            this.tls = Objects.requireNonNull(stores);
            return this;
        }

        /**
         * Enables ACLs ({@link BrokerConfig#STANDARD_AUTHORIZER}, {@code allow.everyone.if.no.acl.found=false}). The
         * given SASL users are super users; everybody else needs ACLs. Requires {@link #saslPlain(Map)}.
         */
        public Builder authorizer(String... superUsers) {
            for (String u : superUsers) {
                BrokerSecurity.checkUserName(u);
            }
            this.superUsers = List.of(superUsers);
            return this;
        }

        public EmbeddedKafkaCluster build() {
            return new EmbeddedKafkaCluster(this);
        }
    }
}
