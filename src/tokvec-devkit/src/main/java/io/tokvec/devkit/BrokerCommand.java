package io.tokvec.devkit;

import io.tokvec.broker.BrokerConfig;
import io.tokvec.broker.BrokerSecurity;
import io.tokvec.broker.EmbeddedKafkaCluster;
import io.tokvec.broker.LoopbackPorts;
import io.tokvec.broker.StorageFormatter;
import io.tokvec.cli.Main;
import io.tokvec.cli.TokvecCommand;
import io.tokvec.kafka.QuietClientLogs;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tokvec broker}: runs a real Kafka broker (KRaft, 127.0.0.1 only) in the foreground until SIGTERM / Ctrl-C,
 * which shut it down cleanly; the process then exits 0. With {@code --nodes N --node-id K} it runs node K of an
 * N-node cluster: N such processes, started with the same {@code --nodes} and {@code --port}, form one cluster.
 */
@Command(name = "broker",
        mixinStandardHelpOptions = true,
        description = {
                "Runs a Kafka broker (KRaft broker+controller) on 127.0.0.1 in the foreground: a single-node cluster,",
                "or with --nodes N --node-id K node K of an N-node cluster (start N processes with the same --nodes",
                "and --port, one per node id; node K listens on PORT+K-1, its controller on PORT+100+K-1; the",
                "controllers form a quorum of all N nodes, so a majority must be up).",
                "Stop it with Ctrl-C or SIGTERM: it shuts down cleanly and exits 0.",
                "An existing data dir is reused (same cluster id, same records)."})
public final class BrokerCommand implements TokvecCommand {

    private static final Logger log = LoggerFactory.getLogger(BrokerCommand.class);

    /** Name of the JVM shutdown hook that stops the broker. */
    public static final String SHUTDOWN_HOOK_NAME = "tokvec-broker-shutdown";

    @Option(names = "--port", defaultValue = "9092", paramLabel = "PORT",
            description = "Client port of node 1 on 127.0.0.1; node K listens on PORT+K-1, its controller on PORT+100+K-1"
                    + " (a single node's controller: any free port). 0 = any free port (single node only). Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--nodes", defaultValue = "1", paramLabel = "N",
            description = "Nodes in the cluster (each broker and controller). Default: ${DEFAULT-VALUE}.")
    int nodes;

    @Option(names = "--node-id", paramLabel = "K", description = "Which node (1..N) this process runs; required with --nodes > 1.")
    Integer nodeId;

    @Option(names = "--cluster-id", paramLabel = "ID",
            description = "Cluster id for new data dirs (22-character base64 UUID). Default: derived from --port with several"
                    + " nodes (so the nodes agree), random with one.")
    String clusterId;

    @Option(names = "--dir", defaultValue = "./tokvec-broker-data", paramLabel = "DIR",
            description = "Data dir (with --nodes > 1: DIR/node-K); formatted when it holds no meta.properties, reused"
                    + " otherwise. Default: ${DEFAULT-VALUE}.")
    Path dir;

    @Option(names = "--registry-port", defaultValue = "8081", paramLabel = "PORT",
            description = "Also serve a small Confluent-compatible schema registry on 127.0.0.1:PORT, its schemas kept in "
                    + "the data dir's schemas.jsonl (-1 = none). Default: ${DEFAULT-VALUE} with one node; with several,"
                    + " none unless given (give it to one node).")
    int registryPort;

    @Spec
    CommandSpec spec;

    @Option(names = "--partitions", defaultValue = "1", paramLabel = "N",
            description = "Default partition count of new topics (num.partitions). Default: ${DEFAULT-VALUE}.")
    int partitions;

    @Option(names = "--replication-factor", defaultValue = "-1", paramLabel = "R",
            description = "Replication factor of the internal topics and of topics created without one"
                    + " (default.replication.factor). Default: min(3, N).")
    int replicationFactor;

    @Option(names = "--min-insync-replicas", defaultValue = "-1", paramLabel = "M",
            description = "min.insync.replicas of the cluster and of the transaction log: with acks=all a write waits"
                    + " until M replicas have it. Default: min(2, N).")
    int minInsyncReplicas;

    @Option(names = "--users", paramLabel = "FILE",
            description = "SASL/PLAIN on the client listener with these accounts (a properties file, one name=password"
                    + " per line); also the HTTP Basic accounts of the registry.")
    Path users;

    @Option(names = "--tls-keystore", paramLabel = "FILE",
            description = "TLS on the client listener (SSL, or SASL_SSL with --users) and https for the registry: the"
                    + " node's key and certificate chain (PKCS12). Needs --tls-truststore.")
    Path tlsKeystore;

    @Option(names = "--tls-truststore", paramLabel = "FILE",
            description = "The CA the nodes' certificates are signed by (PKCS12): the nodes check each other with it.")
    Path tlsTruststore;

    @Option(names = "--tls-password", paramLabel = "PASSWORD", defaultValue = "${env:TOKVEC_TLS_PASSWORD}",
            description = "Password of both stores. Default: the environment variable TOKVEC_TLS_PASSWORD.")
    String tlsPassword;

    @Option(names = {"-b", "--broker-property"}, paramLabel = "KEY=VALUE",
            description = "A broker property, applied last (repeatable), e.g. -b broker.session.timeout.ms=6000.")
    Map<String, String> brokerProperties = new LinkedHashMap<>();

    @Option(names = "--startup-check-timeout-ms", defaultValue = "10000", paramLabel = "MS",
            description = "With --nodes > 1: when no other node's controller answers within MS, say so once (the node"
                    + " goes on waiting). The same bound as tokvec.startup.check.timeout.ms. Default: ${DEFAULT-VALUE}.")
    long startupCheckTimeoutMs;

    @Option(names = "--quorum-timeout", defaultValue = "0", paramLabel = "SECONDS",
            description = "With --nodes > 1: exit 1 when no controller quorum has formed within SECONDS. Default:"
                    + " ${DEFAULT-VALUE}, wait as long as it takes (the other nodes may start later).")
    long quorumTimeoutSeconds;

    /** Kafka's own bound on a broker's first registration (60 s by default), lifted: {@code --quorum-timeout} bounds the wait. */
    static final String REGISTRATION_TIMEOUT = "initial.broker.registration.timeout.ms";

    private volatile LocalSchemaRegistryServer registry;
    private volatile boolean started;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        EmbeddedKafkaCluster cluster;
        int node;
        try {
            node = checkNodeOptions();
            cluster = cluster(node);
        } catch (RuntimeException e) {
            System.err.println("broker: " + e.getMessage());
            return 2;
        }
        String busy = busyPort(node);
        if (busy != null) {
            // before Kafka tries it: its bind failure is a page of ERROR stack traces
            System.err.println("broker: " + busy);
            cluster.close();
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            if (nodes > 1 && !started) {
                // still waiting for its quorum: it has served nothing, and Kafka's shutdown would first wait for the
                // start to end (the broker's registration); the log and metadata on disk are crash-safe
                out.println("broker: node " + node + " of " + nodes + " stopped before its cluster formed (it served nothing)");
                out.flush();
                Runtime.getRuntime().halt(0);
            }
            int status = 0;
            try {
                log.info("Stopping the broker (shutdown requested)");
                if (registry != null) registry.close();
                cluster.close();
                log.info("Broker stopped cleanly");
            } catch (Throwable t) {
                status = 1;
                log.error("Broker did not shut down cleanly", t);
            } finally {
                stopped.countDown();
                out.flush();
                System.err.flush();
            }
            // A JVM stopped by a signal exits 128+signal even when every hook succeeded; after a clean
            // shutdown, exit 0 instead (the JVM is already shutting down, so halt is the only way).
            Runtime.getRuntime().halt(status);
        }, SHUTDOWN_HOOK_NAME);
        Runtime.getRuntime().addShutdownHook(hook);

        if (nodes > 1) {
            out.println("broker: node " + node + " of " + nodes + " starting on 127.0.0.1:" + (port + node - 1)
                    + "; it serves once a majority of the " + nodes + " nodes is up (controllers "
                    + cluster.ports().quorumVoters() + ")");
            out.flush();
        }
        QuorumWatch watch = quorumWatch(node, cluster, out);
        try {
            cluster.start();
            started = true;
        } catch (RuntimeException e) {
            if (watch != null) watch.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running already and closes the broker itself
            }
            cluster.close();
            System.err.println("broker: failed to start: " + e.getMessage());
            log.debug("start failure", e);
            return 1;
        }
        EmbeddedKafkaCluster.LocalNode self = cluster.node(node);
        int registryAt = registryAt();
        if (registryAt >= 0) {
            try {
                BrokerSecurity.TlsStores tls = cluster.config().security().tls();
                registry = new LocalSchemaRegistryServer(registryAt, self.dataDir().resolve("schemas.jsonl"),
                        tls == null ? null : LocalSchemaRegistryServer.tlsContext(tls.keystore(), tls.password(), tls.type()),
                        cluster.config().security().users(), java.util.List.of());
            } catch (IOException e) {
                System.err.println("broker: cannot start the schema registry on port " + registryAt + ": " + e.getMessage()
                        + " (use --registry-port N, or -1 for none)");
                cluster.close();
                return 1;
            }
        }
        if (nodes == 1) {
            out.println("broker: listening on " + self.bootstrapServers() + " (data dir " + self.dataDir() + ")");
        } else {
            out.println("broker: node " + node + " of " + nodes + " listening on " + self.bootstrapServers() + " (controller "
                    + LoopbackPorts.HOST + ":" + self.controllerPort() + ", data dir " + self.dataDir() + ", cluster id "
                    + cluster.clusterId() + ")");
            out.println("broker: bootstrap.servers=" + cluster.bootstrapServers() + " (replication factor "
                    + cluster.config().replicationFactor() + ", min.insync.replicas " + cluster.config().minInsyncReplicas() + ")");
        }
        if (cluster.config().security().protocol() != org.apache.kafka.common.security.auth.SecurityProtocol.PLAINTEXT) {
            out.println("broker: security.protocol=" + cluster.config().security().protocol());
        }
        if (registry != null) {
            out.println("broker: schema registry on " + registry.url());
        }
        out.flush();
        if (watch != null) watch.formed(); // after the ready lines: it may name the nodes not up yet
        stopped.await(); // until the shutdown hook has stopped the broker (it then halts the JVM)
        return 0;
    }

    /** With several nodes, the watch of this node's wait for its quorum; with one, nothing to watch. */
    private QuorumWatch quorumWatch(int node, EmbeddedKafkaCluster cluster, PrintStream out) {
        if (nodes == 1) {
            return null;
        }
        Map<Integer, Integer> peers = new LinkedHashMap<>();
        for (int id = 1; id <= nodes; id++) {
            if (id != node) {
                peers.put(id, cluster.ports().controllerPort(id));
            }
        }
        String hint = "'broker --nodes " + nodes + " --port " + port + " --node-id K'";
        // the raft client logs a WARN per reconnect to a controller not up yet: the watch says it in one line instead,
        // until every node is up (--verbose lets them through)
        QuietClientLogs quiet = QuietClientLogs.of(List.of("org.apache.kafka.clients.NetworkClient"), !Main.verbose(spec));
        return new QuorumWatch(node, nodes, peers, hint, Duration.ofMillis(startupCheckTimeoutMs),
                Duration.ofSeconds(quorumTimeoutSeconds), out, System.err, status -> Runtime.getRuntime().halt(status), quiet)
                .start();
    }

    /**
     * The first port this node would listen on that another process holds, as a message, or null. Kafka's own
     * failure to bind is a page of ERROR stack traces; this says it in one line before starting Kafka.
     */
    private String busyPort(int node) {
        Map<Integer, String> wanted = new LinkedHashMap<>();
        if (port != 0) {
            wanted.put(port + node - 1, nodes > 1 ? "--port " + port + " + " + (node - 1) + ", node " + node + "'s client port" : "--port");
        }
        if (nodes > 1) {
            wanted.put(port + LoopbackPorts.CONTROLLER_OFFSET + node - 1, "node " + node + "'s controller port");
        }
        if (registryAt() > 0) {
            wanted.put(registryPort, "--registry-port");
        }
        for (Map.Entry<Integer, String> e : wanted.entrySet()) {
            String failure = LoopbackPorts.bindFailure(e.getKey()); // bound as Kafka binds: a port in TIME_WAIT is free
            if (failure != null) {
                return "cannot listen on " + LoopbackPorts.HOST + ":" + e.getKey() + " (" + e.getValue() + "): " + failure
                        + "; is another broker running there? (another --port"
                        + (e.getValue().equals("--registry-port") ? " or --registry-port, -1 for none" : "") + ")";
            }
        }
        return null;
    }

    /** The port this node serves the schema registry on: --registry-port with one node, or when given; else -1. */
    private int registryAt() {
        boolean given = spec != null && spec.commandLine() != null && spec.commandLine().getParseResult() != null
                && spec.commandLine().getParseResult().hasMatchedOption("--registry-port");
        return nodes == 1 || given ? registryPort : -1;
    }

    /** The node this process runs, after checking the cluster options. */
    private int checkNodeOptions() {
        if (nodes < 1) {
            throw new IllegalArgumentException("--nodes must be >= 1");
        }
        if (nodes > 1 && nodeId == null) {
            throw new IllegalArgumentException("--nodes " + nodes + " needs --node-id K (1.." + nodes + "): which node this process runs");
        }
        int node = nodeId == null ? 1 : nodeId;
        if (node < 1 || node > nodes) {
            throw new IllegalArgumentException("--node-id must be in 1.." + nodes + ": " + node);
        }
        if (nodes > 1 && port == 0) {
            throw new IllegalArgumentException("--nodes " + nodes + " needs a fixed --port (every node derives the others' ports from it)");
        }
        if (startupCheckTimeoutMs < 1) {
            throw new IllegalArgumentException("--startup-check-timeout-ms must be >= 1: " + startupCheckTimeoutMs);
        }
        if (quorumTimeoutSeconds < 0) {
            throw new IllegalArgumentException("--quorum-timeout must be >= 0 (0: as long as it takes): " + quorumTimeoutSeconds);
        }
        if ((tlsKeystore == null) != (tlsTruststore == null)) {
            throw new IllegalArgumentException("--tls-keystore and --tls-truststore go together");
        }
        if (tlsKeystore != null && tlsPassword == null) {
            throw new IllegalArgumentException("--tls-keystore needs --tls-password (or TOKVEC_TLS_PASSWORD)");
        }
        return node;
    }

    private EmbeddedKafkaCluster cluster(int node) {
        EmbeddedKafkaCluster.Builder b = EmbeddedKafkaCluster.builder()
                .nodes(nodes)
                .localNodes(node)
                .dataDir(dir)
                .port(port)
                .defaultPartitions(partitions)
                .replicationFactor(replicationFactor)
                .minInsyncReplicas(minInsyncReplicas)
                .brokerProperties(brokerProperties);
        if (nodes > 1) {
            // the other nodes may come up much later: wait for them as long as it takes, or --quorum-timeout
            b.startupTimeout(Duration.ofDays(1));
            if (!brokerProperties.containsKey(REGISTRATION_TIMEOUT)) {
                b.brokerProperty(REGISTRATION_TIMEOUT, String.valueOf(Integer.MAX_VALUE));
            }
        }
        if (clusterId != null) {
            b.clusterId(clusterId);
        } else if (nodes > 1) {
            b.clusterId(StorageFormatter.clusterIdForBasePort(port));
        }
        if (users != null) {
            b.saslPlain(BrokerSecurity.readUsers(users));
        }
        if (tlsKeystore != null) {
            b.tls(new BrokerSecurity.TlsStores(tlsKeystore, tlsTruststore, tlsPassword, "PKCS12"));
        }
        EmbeddedKafkaCluster c = b.build();
        BrokerConfig config = c.config();
        log.debug("cluster of {} nodes, replication factor {}, min.insync.replicas {}", nodes, config.replicationFactor(),
                config.minInsyncReplicas());
        return c;
    }
}
