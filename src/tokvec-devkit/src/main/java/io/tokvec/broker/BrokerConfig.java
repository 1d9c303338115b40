package io.tokvec.broker;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The configuration every node of a devkit cluster shares, and the {@link #nodeProperties broker properties} of
 * each node: every node is both broker and controller (KRaft combined mode), the controllers form a static quorum
 * of all nodes, and everything listens on 127.0.0.1 only.
 *
 * <p>Replication: the internal topics ({@code __consumer_offsets}, {@code __transaction_state}, share-group
 * state) and every topic created without an explicit replication factor get {@link #replicationFactor()}
 * replicas, min(3, nodes) unless set, and {@code min.insync.replicas} {@link #minInsyncReplicas()}, min(2, nodes)
 * unless set: with 3 nodes, what production clusters run; with 1, what a single broker can do.
 */
public final class BrokerConfig {

    public static final String CONTROLLER_LISTENER = "CONTROLLER";
    /** KRaft's ACL authorizer (ACLs are stored in the metadata log). */
    public static final String STANDARD_AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer";

    private final int nodes;
    private final BrokerSecurity security;
    private final int defaultPartitions;
    private final int replicationFactor;
    private final int minInsyncReplicas;
    private final List<String> superUsers; // null: no authorizer
    private final Map<String, String> extraProperties;

    /**
     * @param replicationFactor  -1 for min(3, nodes)
     * @param minInsyncReplicas  -1 for min(2, nodes)
     * @param superUsers         SASL users that bypass ACLs when the authorizer is on, or null for no authorizer
     * @param extraProperties    applied last, so they override everything else
     */
    public BrokerConfig(int nodes, BrokerSecurity security, int defaultPartitions, int replicationFactor,
                        int minInsyncReplicas, List<String> superUsers, Map<String, String> extraProperties) {
        if (nodes < 1) {
            throw new IllegalArgumentException("a cluster has at least one node: " + nodes);
        }
        if (defaultPartitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1: " + defaultPartitions);
        }
        this.replicationFactor = replicationFactor < 0 ? defaultReplicationFactor(nodes) : replicationFactor;
        this.minInsyncReplicas = minInsyncReplicas < 0 ? defaultMinInsyncReplicas(nodes) : minInsyncReplicas;
        if (this.replicationFactor < 1 || this.replicationFactor > nodes) {
            throw new IllegalArgumentException("replication factor must be in 1.." + nodes + ": " + replicationFactor);
        }
        if (this.minInsyncReplicas < 1 || this.minInsyncReplicas > this.replicationFactor) {
            throw new IllegalArgumentException("min.insync.replicas must be in 1.." + this.replicationFactor + ": "
                    + minInsyncReplicas);
        }
        if (superUsers != null && !security.sasl()) {
            throw new IllegalArgumentException("an authorizer needs authenticated users: enable SASL too");
        }
        this.nodes = nodes;
        this.security = security;
        this.defaultPartitions = defaultPartitions;
        this.superUsers = superUsers == null ? null : List.copyOf(superUsers);
        this.extraProperties = Collections.unmodifiableMap(new LinkedHashMap<>(extraProperties));
    }

    /** min(3, nodes): production's replication factor when there are 3 nodes or more. */
    public static int defaultReplicationFactor(int nodes) {
        return Math.min(3, nodes);
    }

    /** min(2, nodes): with 3 replicas, a write survives the loss of one in-sync replica. */
    public static int defaultMinInsyncReplicas(int nodes) {
        return Math.min(2, nodes);
    }

    public int nodes() {
        return nodes;
    }

    public BrokerSecurity security() {
        return security;
    }

    public int defaultPartitions() {
        return defaultPartitions;
    }

    public int replicationFactor() {
        return replicationFactor;
    }

    public int minInsyncReplicas() {
        return minInsyncReplicas;
    }

    /** The broker properties of node {@code nodeId} (1-based), with the cluster's ports and its data dir. */
    public Properties nodeProperties(int nodeId, ClusterPorts ports, Path dataDir) {
        if (ports.nodes() != nodes) {
            throw new IllegalArgumentException("ports for " + ports.nodes() + " nodes, cluster of " + nodes);
        }
        String host = LoopbackPorts.HOST;
        String client = security.listenerName();
        int port = ports.clientPort(nodeId);
        int controllerPort = ports.controllerPort(nodeId);
        String rf = Integer.toString(replicationFactor);
        String minIsr = Integer.toString(minInsyncReplicas);
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(nodeId));
        p.put("controller.quorum.voters", ports.quorumVoters());
        p.put("listeners", client + "://" + host + ":" + port + "," + CONTROLLER_LISTENER + "://" + host + ":" + controllerPort);
        p.put("advertised.listeners", client + "://" + host + ":" + port);
        p.put("listener.security.protocol.map", client + ":" + client + "," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("inter.broker.listener.name", client);
        p.put("log.dirs", dataDir.toAbsolutePath().normalize().toString());
        p.put("num.partitions", Integer.toString(defaultPartitions));
        p.put("default.replication.factor", rf);
        p.put("min.insync.replicas", minIsr);
        p.put("offsets.topic.replication.factor", rf);
        p.put("offsets.topic.num.partitions", "10");
        p.put("transaction.state.log.replication.factor", rf);
        p.put("transaction.state.log.min.isr", minIsr);
        p.put("share.coordinator.state.topic.replication.factor", rf);
        p.put("share.coordinator.state.topic.min.isr", minIsr);
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("auto.create.topics.enable", "true");
        p.putAll(security.serverProperties());
        if (superUsers != null) {
            p.put("authorizer.class.name", STANDARD_AUTHORIZER);
            // The controller listener is PLAINTEXT on loopback: the nodes' requests to the controllers
            // arrive as ANONYMOUS and must pass, as must the brokers' own SASL account.
            StringBuilder su = new StringBuilder("User:ANONYMOUS;User:").append(BrokerSecurity.INTERNAL_USER);
            superUsers.forEach(u -> su.append(";User:").append(u));
            p.put("super.users", su.toString());
            p.put("allow.everyone.if.no.acl.found", "false");
        }
        p.putAll(extraProperties);
        return p;
    }
}
