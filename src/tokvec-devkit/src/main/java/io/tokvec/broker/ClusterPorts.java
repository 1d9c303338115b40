package io.tokvec.broker;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The loopback ports of every node of a cluster: node K (1-based) has client port {@code client.get(K-1)} and
 * controller port {@code controller.get(K-1)}. Every node of a cluster must know them all (the controllers form a
 * static quorum, {@code controller.quorum.voters}).
 */
public record ClusterPorts(List<Integer> client, List<Integer> controller) {

    public ClusterPorts {
        client = List.copyOf(client);
        controller = List.copyOf(controller);
        if (client.isEmpty() || client.size() != controller.size()) {
            throw new IllegalArgumentException("one client and one controller port per node: " + client + ", " + controller);
        }
    }

    /**
     * The layout of {@code tokvec broker --nodes N --port BASE}: node K listens for clients on BASE + K - 1 and for
     * its controller on {@code controllerBase} + K - 1.
     */
    public static ClusterPorts fromBase(int nodes, int base, int controllerBase) {
        int last = Math.max(base, controllerBase) + nodes - 1;
        if (base < 1 || controllerBase < 1 || last > 65535) {
            throw new IllegalArgumentException("ports out of range: client " + base + ", controller " + controllerBase
                    + " and " + (nodes - 1) + " more each");
        }
        if (base < controllerBase + nodes && controllerBase < base + nodes) {
            throw new IllegalArgumentException("client ports " + base + ".." + (base + nodes - 1) + " overlap controller ports "
                    + controllerBase + ".." + (controllerBase + nodes - 1));
        }
        return new ClusterPorts(IntStream.range(0, nodes).map(i -> base + i).boxed().toList(),
                IntStream.range(0, nodes).map(i -> controllerBase + i).boxed().toList());
    }

    /** Two distinct free ports per node, probed now. */
    public static ClusterPorts free(int nodes) {
        List<Integer> taken = new ArrayList<>();
        for (int i = 0; i < 2 * nodes; i++) {
            taken.add(LoopbackPorts.freePort(taken.stream().mapToInt(Integer::intValue).toArray()));
        }
        return new ClusterPorts(taken.subList(0, nodes), taken.subList(nodes, 2 * nodes));
    }

    public int nodes() {
        return client.size();
    }

    public int clientPort(int nodeId) {
        return client.get(index(nodeId));
    }

    public int controllerPort(int nodeId) {
        return controller.get(index(nodeId));
    }

    /** {@code 127.0.0.1:<port>} of every node's client listener, comma-separated. */
    public String bootstrapServers() {
        return client.stream().map(p -> LoopbackPorts.HOST + ":" + p).collect(Collectors.joining(","));
    }

    /** {@code controller.quorum.voters}: {@code 1@127.0.0.1:<cport1>,2@...}. */
    public String quorumVoters() {
        return IntStream.rangeClosed(1, nodes()).mapToObj(id -> id + "@" + LoopbackPorts.HOST + ":" + controllerPort(id))
                .collect(Collectors.joining(","));
    }

    private int index(int nodeId) {
        if (nodeId < 1 || nodeId > nodes()) {
            throw new IllegalArgumentException("node id " + nodeId + " is not in 1.." + nodes());
        }
        return nodeId - 1;
    }
}
