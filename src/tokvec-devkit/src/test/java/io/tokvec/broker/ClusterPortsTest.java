package io.tokvec.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.KafkaException;
import org.junit.jupiter.api.Test;

/** {@link ClusterPorts} and {@link LoopbackPorts}: the port layout of a cluster and probing for free ports. */
class ClusterPortsTest {

    @Test
    void shouldNumberPortsFromTheBaseWhenTheNodesShareOneCommandLine() {
        ClusterPorts p = ClusterPorts.fromBase(3, 9092, 9192);
        assertThat(p.clientPort(3)).isEqualTo(9094);
        assertThat(p.controllerPort(2)).isEqualTo(9193);
        assertThat(p.bootstrapServers()).isEqualTo("127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094");
        assertThat(p.quorumVoters()).isEqualTo("1@127.0.0.1:9192,2@127.0.0.1:9193,3@127.0.0.1:9194");
        assertThatThrownBy(() -> p.clientPort(4)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldRefuseLayoutsWhosePortsOverlapOrOverflow() {
        assertThatThrownBy(() -> ClusterPorts.fromBase(3, 9092, 9094)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ClusterPorts.fromBase(3, 65534, 100)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldFindABaseWhoseClientAndControllerRangesCanAllBeBound() throws IOException {
        int base = LoopbackPorts.freeBase(3);
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int p : ClusterPorts.fromBase(3, base, base + LoopbackPorts.CONTROLLER_OFFSET).client()) {
                held.add(bind(p));
            }
            for (int p : ClusterPorts.fromBase(3, base, base + LoopbackPorts.CONTROLLER_OFFSET).controller()) {
                held.add(bind(p));
            }
        } finally {
            for (ServerSocket s : held) s.close();
        }
        assertThat(held).hasSize(6);
    }

    @Test
    void shouldPickDistinctFreePortsForEveryNode() {
        ClusterPorts p = ClusterPorts.free(3);
        List<Integer> all = new ArrayList<>(p.client());
        all.addAll(p.controller());
        assertThat(all).doesNotHaveDuplicates().allSatisfy(port -> assertThat(port).isPositive());
        int one = LoopbackPorts.freePort();
        assertThat(LoopbackPorts.freePort(one)).isNotEqualTo(one);
    }

    @Test
    void shouldRecogniseBindFailuresInKafkasMessages() throws IOException {
        try (ServerSocket taken = bind(0); ServerSocket again = new ServerSocket()) {
            IOException real = org.assertj.core.api.Assertions.catchThrowableOfType(IOException.class,
                    () -> again.bind(new InetSocketAddress("127.0.0.1", taken.getLocalPort())));
            assertThat(LoopbackPorts.isBindFailure(new KafkaException("x", real))).isTrue();
        }
        assertThat(LoopbackPorts.isBindFailure(new KafkaException("Socket server failed to bind to 127.0.0.1:9092: Address already in use."))).isTrue();
        assertThat(LoopbackPorts.isBindFailure(new KafkaException("something else"))).isFalse();
    }

    private static ServerSocket bind(int port) throws IOException {
        ServerSocket s = new ServerSocket();
        s.bind(new InetSocketAddress("127.0.0.1", port));
        return s;
    }
}
