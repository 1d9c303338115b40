package io.tokvec.devkit;

import io.tokvec.broker.LoopbackPorts;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * Watches node K of an N-node cluster while it waits for its controller quorum, so that a node started alone neither
 * waits silently nor fails slowly:
 * <ul>
 *   <li>when no other node's controller port accepts a TCP connection within the check timeout, it prints one notice
 *       naming them, and the node goes on waiting (the other nodes may legitimately start later);</li>
 *   <li>when other nodes have answered for three check timeouts but no quorum has formed, one notice says so (a
 *       cluster id or {@code --nodes} that differs between the nodes);</li>
 *   <li>with a quorum timeout, when no quorum has formed in that time, it prints one line and ends the process with
 *       exit status 1 ({@code onGiveUp});</li>
 *   <li>once the quorum has formed ({@link #formed()}), when some nodes still do not answer, one line names them.</li>
 * </ul>
 * Until every other node has answered (or {@link #close()}), it holds {@code quiet} open: the Kafka clients' WARN per
 * reconnect attempt to a node not up yet stays out of the console, and comes back once all nodes are up (so a node
 * lost later is logged as Kafka logs it).
 */
final class QuorumWatch implements AutoCloseable {

    private static final long POLL_MS = 200;
    private static final int CONNECT_TIMEOUT_MS = 500;

    private final String who;
    private final Map<Integer, Integer> peerControllerPorts;
    private final String startHint;
    private final Duration checkTimeout;
    private final Duration quorumTimeout;
    private final PrintStream out;
    private final PrintStream err;
    private final IntConsumer onGiveUp;
    private final AutoCloseable quiet;
    private final CountDownLatch done = new CountDownLatch(1);
    private final CountDownLatch formed = new CountDownLatch(1);
    private final Thread thread;

    /**
     * @param node                this node's id
     * @param nodes               how many nodes the cluster has
     * @param peerControllerPorts the other nodes' controller ports by node id
     * @param startHint           the command that starts another node, for the notice
     * @param checkTimeout        when to say that no other controller answers
     * @param quorumTimeout       when to give up; zero: never
     * @param onGiveUp            ends the process with the status it is given (after the line is printed)
     * @param quiet               closed once every other node has answered, or on {@link #close()}
     */
    QuorumWatch(int node, int nodes, Map<Integer, Integer> peerControllerPorts, String startHint, Duration checkTimeout,
                Duration quorumTimeout, PrintStream out, PrintStream err, IntConsumer onGiveUp, AutoCloseable quiet) {
        this.who = "broker: node " + node + " of " + nodes;
        this.peerControllerPorts = new LinkedHashMap<>(peerControllerPorts);
        this.startHint = startHint;
        this.checkTimeout = checkTimeout;
        this.quorumTimeout = quorumTimeout;
        this.out = out;
        this.err = err;
        this.onGiveUp = onGiveUp;
        this.quiet = quiet;
        this.thread = new Thread(this::watch, "tokvec-quorum-watch");
        this.thread.setDaemon(true);
    }

    QuorumWatch start() {
        thread.start();
        return this;
    }

    /** The quorum formed and this node serves: no more quorum notices; watch for the nodes that do not answer yet. */
    void formed() {
        formed.countDown();
    }

    /** Stops watching (the node failed to start, or stops). */
    @Override
    public void close() {
        done.countDown();
        formed.countDown();
        closeQuiet();
    }

    private synchronized void closeQuiet() {
        try {
            quiet.close();
        } catch (Exception e) {
            // putting log levels back: nothing to report
        }
    }

    private void watch() {
        try {
            awaitQuorum();
            if (done.getCount() == 0) {
                return;
            }
            List<Integer> answering = answering();
            if (answering.size() < peerControllerPorts.size()) {
                out.println(who + " serves with " + (answering.size() + 1) + " of " + (peerControllerPorts.size() + 1)
                        + " nodes; not up yet: " + silent(answering) + " (its connection warnings are held back until it is)");
                out.flush();
            }
            while (answering.size() < peerControllerPorts.size() && !done.await(5 * POLL_MS, TimeUnit.MILLISECONDS)) {
                answering = answering();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeQuiet();
        }
    }

    private void awaitQuorum() throws InterruptedException {
        long t0 = System.nanoTime();
        boolean noPeerNoticed = false;
        boolean noQuorumNoticed = false;
        long firstAnswered = -1; // since when some other controller has kept answering
        long lastProbe = -TimeUnit.SECONDS.toNanos(1); // probe at once
        while (!formed.await(POLL_MS, TimeUnit.MILLISECONDS)) {
            long elapsed = System.nanoTime() - t0;
            if (!quorumTimeout.isZero() && elapsed >= quorumTimeout.toNanos()) {
                List<Integer> answering = answering();
                if (formed.getCount() == 0) {
                    return;
                }
                err.println(who + ": no controller quorum within " + seconds(quorumTimeout) + " ("
                        + (answering.isEmpty() ? "no other controller answers: " + silent(answering)
                        : "controllers of nodes " + answering + " answer, but no quorum formed")
                        + "); exiting (--quorum-timeout 0 waits as long as it takes)");
                err.flush();
                onGiveUp.accept(1);
                return;
            }
            if (!noPeerNoticed && elapsed >= checkTimeout.toNanos()) {
                noPeerNoticed = true;
                List<Integer> answering = answering();
                if (answering.isEmpty() && formed.getCount() > 0) {
                    out.println(who + ": no other controller answers within " + seconds(checkTimeout) + " ("
                            + silent(answering) + "); still waiting for a majority: start them with " + startHint);
                    out.flush();
                }
            }
            // other nodes that answer for long without a quorum forming: a cluster id or --nodes that differs
            if (!noQuorumNoticed && elapsed - lastProbe >= TimeUnit.SECONDS.toNanos(1)) {
                lastProbe = elapsed;
                List<Integer> answering = answering();
                if (answering.isEmpty()) {
                    firstAnswered = -1;
                } else if (firstAnswered < 0) {
                    firstAnswered = elapsed;
                } else if (elapsed - firstAnswered >= 3 * checkTimeout.toNanos() && formed.getCount() > 0) {
                    noQuorumNoticed = true;
                    out.println(who + ": controllers of nodes " + answering + " have answered for "
                            + seconds(checkTimeout.multipliedBy(3)) + ", but no quorum has formed; still waiting (every node"
                            + " needs the same --nodes, --port and cluster id)");
                    out.flush();
                }
            }
        }
    }

    /** The other nodes whose controller port accepts a TCP connection now. */
    List<Integer> answering() {
        List<Integer> answering = new ArrayList<>();
        peerControllerPorts.forEach((id, port) -> {
            if (accepts(port)) {
                answering.add(id);
            }
        });
        return answering;
    }

    private String silent(List<Integer> answering) {
        List<String> names = new ArrayList<>();
        peerControllerPorts.forEach((id, port) -> {
            if (!answering.contains(id)) {
                names.add("node " + id + " at " + LoopbackPorts.HOST + ":" + port);
            }
        });
        return String.join(", ", names);
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(LoopbackPorts.HOST, port), CONNECT_TIMEOUT_MS);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static String seconds(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0);
    }
}
