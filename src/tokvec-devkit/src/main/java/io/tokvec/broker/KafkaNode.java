package io.tokvec.broker;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.internals.Exit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lifecycle of one KRaft node in this JVM ({@link KafkaRaftServer}, broker and controller): start from its
 * properties, stop cleanly, start again (a new server on the same properties and data). Not thread-safe: the
 * cluster that owns it serialises calls per node.
 */
final class KafkaNode {

    private static final Logger log = LoggerFactory.getLogger(KafkaNode.class);

    private final int id;
    private volatile KafkaRaftServer server;

    KafkaNode(int id) {
        this.id = id;
    }

    int id() {
        return id;
    }

    boolean isRunning() {
        return server != null;
    }

    /**
     * Starts the node. With more than one node, this returns only once a quorum of controllers has formed and the
     * node has caught up with the metadata log, so the nodes of one cluster must be started concurrently.
     *
     * @throws IllegalStateException if the server failed (it is then shut down again)
     */
    void start(Properties props) {
        if (server != null) {
            return;
        }
        KafkaRaftServer s = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
        try (ExitGuard guard = ExitGuard.enter()) {
            s.startup();
            guard.check();
        } catch (RuntimeException e) {
            shutDownQuietly(s);
            throw e;
        }
        server = s;
    }

    /** Shuts the node down cleanly ({@code shutdown()} then {@code awaitShutdown()}); does nothing when stopped. */
    void stop() {
        KafkaRaftServer s = server;
        if (s == null) {
            return;
        }
        long t0 = System.nanoTime();
        server = null;
        try {
            s.shutdown();
        } finally {
            s.awaitShutdown();
        }
        log.info("Kafka node {} stopped in {} ms", id, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    private void shutDownQuietly(KafkaRaftServer s) {
        try {
            s.shutdown();
            s.awaitShutdown();
        } catch (RuntimeException e) {
            log.warn("error while shutting down node {} that failed to start: {}", id, e.toString());
        }
    }

    /**
     * Kafka's {@link Exit} procedures, replaced while any node of this JVM starts: a startup failure (a port that
     * cannot be bound, say) goes through Kafka's fatal fault handler, which halts the whole JVM. While a guard is
     * open, such a request is recorded and turned into an exception of every open guard instead, so that the
     * caller can retry or report it. {@code Exit} is global and nodes of one cluster start concurrently (each
     * start waits for the others to form a quorum), hence one reference-counted replacement for all of them.
     */
    static final class ExitGuard implements AutoCloseable {
        private static final Object LOCK = new Object();
        private static final List<ExitGuard> OPEN = new ArrayList<>();
        private String terminationRequest;

        static ExitGuard enter() {
            ExitGuard g = new ExitGuard();
            synchronized (LOCK) {
                if (OPEN.isEmpty()) {
                    Exit.Procedure record = (code, message) -> {
                        String what = "exit code " + code + (message == null ? "" : " (" + message + ")");
                        log.warn("Kafka requested JVM termination while a node starts ({}); failing the start instead", what);
                        synchronized (LOCK) {
                            for (ExitGuard open : OPEN) {
                                if (open.terminationRequest == null) open.terminationRequest = what;
                            }
                        }
                    };
                    Exit.setHaltProcedure(record);
                    Exit.setExitProcedure(record);
                }
                OPEN.add(g);
            }
            return g;
        }

        /** Throws if Kafka asked to end the JVM since this guard was opened. */
        void check() {
            synchronized (LOCK) {
                if (terminationRequest != null) {
                    throw new IllegalStateException("fatal fault during broker startup: Kafka requested " + terminationRequest);
                }
            }
        }

        @Override
        public void close() {
            synchronized (LOCK) {
                OPEN.remove(this);
                if (OPEN.isEmpty()) {
                    Exit.resetHaltProcedure();
                    Exit.resetExitProcedure();
                }
            }
        }
    }
}
