package io.tokvec.kafka;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.utils.Utils;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Can the Kafka cluster of {@code bootstrap.servers} be used, with the configured security
 * settings? Says so in one line, before a command starts its own clients (which would retry for a
 * minute and log a warning per attempt). Two steps:
 * <ol>
 *   <li>a TCP connection to one of the bootstrap addresses, retried until the check's timeout (a
 *       broker that is still starting is waited for): none accepts means the cluster is unreachable;
 *   <li>a {@code DescribeCluster} request through an admin client with the configured
 *       {@code security.protocol}, {@code sasl.*} and {@code ssl.*}. It ends at once on a refused
 *       login or TLS handshake, and as soon as the listener has closed the client's connections twice
 *       without a Kafka answer (TLS on one side only, named by a {@link TlsProbe}). A cluster that
 *       accepts connections but answers slowly (a loaded machine, a cold broker) is waited for as
 *       long as any admin call of these settings would be ({@code default.api.timeout.ms}, 60 s):
 *       the check must not stop an application that would have started.
 * </ol>
 * The Kafka clients' connection warnings are kept out of the console meanwhile (see
 * {@link QuietClientLogs}) unless {@code quietLogs} is false.
 */
public final class ClusterCheck {

    /** Pause between two rounds of connection attempts. */
    private static final long RETRY_PAUSE_MS = 200;
    /** How often the admin call's progress is looked at. */
    private static final long POLL_MS = 100;
    /** How long the TLS probe that explains a failure waits for the listener's first byte. */
    private static final int TLS_PROBE_MS = 3000;
    /** Longest single connection attempt: an address that swallows packets does not hold up the others. */
    private static final int CONNECT_ATTEMPT_MS = 1000;

    /** What the check saw: the cluster id and its brokers (null and -1 when the principal may not describe the cluster). */
    public record Cluster(String id, int brokers) {
    }

    private ClusterCheck() {
    }

    /**
     * Checks the cluster that {@code clientProps} (Kafka client settings: {@code bootstrap.servers},
     * security) name.
     *
     * @param timeout how long one of the bootstrap addresses may take to accept a TCP connection
     * @throws StartupCheckException naming {@code bootstrap.servers} and what failed
     */
    public static Cluster check(Map<String, ?> clientProps, Duration timeout, boolean quietLogs) {
        Object value = clientProps.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
        String servers = value == null ? "" : value.toString().trim();
        List<InetSocketAddress> addresses = addresses(servers);
        InetSocketAddress reached = connect(servers, addresses, timeout);
        try (QuietClientLogs quiet = QuietClientLogs.of(QuietClientLogs.KAFKA_CLIENTS, quietLogs)) {
            return describe(servers, reached, clientProps);
        }
    }

    private static List<InetSocketAddress> addresses(String servers) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (String s : servers.split(",")) {
            String server = s.trim();
            if (server.isEmpty()) continue;
            String host = Utils.getHost(server);
            Integer port = Utils.getPort(server);
            if (host == null || port == null) {
                throw new StartupCheckException("bootstrap.servers: '" + server + "' is not host:port", null);
            }
            out.add(InetSocketAddress.createUnresolved(host, port));
        }
        if (out.isEmpty()) {
            throw new StartupCheckException("bootstrap.servers must be set (host:port of one or more brokers)", null);
        }
        return out;
    }

    private static InetSocketAddress connect(String servers, List<InetSocketAddress> addresses, Duration timeout) {
        try {
            return firstToAccept(addresses, timeout);
        } catch (IOException e) {
            throw new StartupCheckException("cannot reach the Kafka cluster at " + servers + " (bootstrap.servers) within "
                    + StartupCheckException.seconds(timeout) + ": " + StartupCheckException.reason(e), e);
        }
    }

    /**
     * The first of {@code addresses} (unresolved: resolved at each attempt) that accepts a TCP
     * connection, tried in turn until {@code timeout} passes.
     *
     * @throws IOException the most telling reason why none did (a refusal or an unknown host rather than
     *     an attempt the deadline cut short)
     */
    static InetSocketAddress firstToAccept(List<InetSocketAddress> addresses, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        IOException last = null;
        while (true) {
            for (InetSocketAddress a : addresses) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                IOException e = tryConnect(a.getHostString(), a.getPort(), (int) Math.max(1, Math.min(left, CONNECT_ATTEMPT_MS)));
                if (e == null) {
                    return a;
                }
                if (last == null || !(e instanceof SocketTimeoutException) || last instanceof SocketTimeoutException) {
                    last = e;
                }
            }
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) throw last;
            try {
                Thread.sleep(Math.min(RETRY_PAUSE_MS, left));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw last;
            }
        }
    }

    /** One TCP connection attempt (closed at once): null when it was accepted, else why not. */
    private static IOException tryConnect(String host, int port, int timeoutMs) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), timeoutMs);
            return null;
        } catch (IOException e) {
            return e;
        }
    }

    private static Cluster describe(String servers, InetSocketAddress reached, Map<String, ?> clientProps) {
        Map<String, Object> props = new HashMap<>(clientProps);
        props.remove(CommonClientConfigs.CLIENT_ID_CONFIG); // a generated one: no clash with the command's own clients
        String protocol = protocol(clientProps);
        String security = security(clientProps);
        Admin admin;
        try {
            admin = Admin.create(props);
        } catch (KafkaException e) {
            throw new StartupCheckException("cannot create a Kafka client for " + servers + " (" + security + "): "
                    + StartupCheckException.reason(e), e);
        }
        // as long as any admin call of these settings would wait (default.api.timeout.ms, 60 s by default)
        long apiTimeoutMs = new AdminClientConfig(props).getInt(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG);
        try {
            DescribeClusterResult r = admin.describeCluster();
            KafkaFuture<Collection<Node>> nodes = r.nodes();
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(apiTimeoutMs + 5_000L);
            while (!nodes.isDone()) {
                if (hungUpBeforeAnswering(admin)) {
                    throw failure(servers, reached, protocol, security, null, apiTimeoutMs);
                }
                if (System.nanoTime() > deadline) {
                    throw failure(servers, reached, protocol, security, new org.apache.kafka.common.errors.TimeoutException(
                            "no answer"), apiTimeoutMs);
                }
                Thread.sleep(POLL_MS);
            }
            return new Cluster(r.clusterId().get(), nodes.get().size());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupCheckException("interrupted while checking the Kafka cluster at " + servers, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AuthorizationException) {
                // authenticated, only not allowed to describe the cluster: it can be used
                return new Cluster(null, -1);
            }
            throw failure(servers, reached, protocol, security, e.getCause() == null ? e : e.getCause(), apiTimeoutMs);
        } finally {
            admin.close(Duration.ZERO);
        }
    }

    /**
     * The listener closed this client's connections at least twice and never sent a Kafka response:
     * what a plaintext listener does to a TLS handshake, and a TLS listener to a plaintext request. A
     * slow cluster does not do that (it answers late; the client gives up on a request only after
     * request.timeout.ms), so it is waited for.
     */
    private static boolean hungUpBeforeAnswering(Admin admin) {
        double closed = 0;
        double responses = 0;
        for (Map.Entry<MetricName, ? extends Metric> m : admin.metrics().entrySet()) {
            if (!m.getKey().tags().isEmpty() && m.getKey().tags().containsKey("node-id")) continue; // per node: counted in the totals
            if (m.getKey().name().equals("connection-close-total")) closed += value(m.getValue());
            if (m.getKey().name().equals("response-total")) responses += value(m.getValue());
        }
        return closed >= 2 && responses == 0;
    }

    private static double value(Metric m) {
        return m.metricValue() instanceof Number n ? n.doubleValue() : 0;
    }

    /** Why the cluster cannot be used: {@code cause} is the admin call's failure, or null when the listener hung up before answering. */
    private static StartupCheckException failure(String servers, InetSocketAddress reached, String protocol, String security,
            Throwable cause, long apiTimeoutMs) {
        String where = "the Kafka cluster at " + servers + " (bootstrap.servers)";
        boolean sasl = protocol.startsWith("SASL");
        String message;
        if (cause instanceof SaslAuthenticationException) {
            message = "SASL authentication with " + where + " failed (" + security + "): " + cause.getMessage();
        } else if (cause instanceof SslAuthenticationException) {
            message = "TLS handshake with " + where + " failed (" + security + "; see ssl.truststore.location, "
                    + "ssl.endpoint.identification.algorithm): " + StartupCheckException.reason(cause).replaceFirst("^TLS handshake failed: ", "");
        } else if (cause instanceof AuthenticationException) {
            message = "authentication with " + where + " failed (" + security + "): " + cause.getMessage()
                    + (String.valueOf(cause.getMessage()).contains("enabled mechanisms are []")
                    ? " (the listener does not use SASL: security.protocol=" + (protocol.endsWith("SSL") ? "SSL" : "PLAINTEXT") + "?)" : "");
        } else if (cause == null || cause instanceof org.apache.kafka.common.errors.TimeoutException) {
            boolean clientTls = protocol.endsWith("SSL");
            Optional<Boolean> listenerTls = TlsProbe.speaksTls(reached.getHostString(), reached.getPort(), TLS_PROBE_MS);
            if (listenerTls.isPresent() && listenerTls.get() != clientTls) {
                message = clientTls
                        ? where + " does not speak TLS, but " + security + ": set security.protocol="
                                + (sasl ? "SASL_PLAINTEXT" : "PLAINTEXT") + ", or give the address of a TLS listener"
                        : where + " expects TLS, but " + security + ": set security.protocol=" + (sasl ? "SASL_SSL" : "SSL")
                                + " (with ssl.truststore.location when its certificate is not in Java's trust store)";
            } else if (cause == null) {
                message = where + " closes this client's connections before answering (" + security + "): does the listener"
                        + " expect another security.protocol?";
            } else {
                message = where + " accepts connections but did not answer within " + StartupCheckException.seconds(
                        Duration.ofMillis(apiTimeoutMs)) + " (default.api.timeout.ms; " + security + "): does the listener expect"
                        + " another security.protocol, and can this host reach the addresses the brokers advertise"
                        + " (advertised.listeners)?";
            }
        } else {
            message = where + " answered with an error (" + security + "): " + cause;
        }
        return new StartupCheckException(message, cause);
    }

    private static String protocol(Map<String, ?> clientProps) {
        Object protocol = clientProps.get(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG);
        return protocol == null ? CommonClientConfigs.DEFAULT_SECURITY_PROTOCOL : protocol.toString().trim().toUpperCase(Locale.ROOT);
    }

    /** {@code security.protocol=SASL_SSL, sasl.mechanism=PLAIN}: the settings a failure depends on. */
    private static String security(Map<String, ?> clientProps) {
        String p = protocol(clientProps);
        Object mechanism = clientProps.get(SaslConfigs.SASL_MECHANISM);
        return CommonClientConfigs.SECURITY_PROTOCOL_CONFIG + "=" + p + (p.startsWith("SASL")
                ? ", " + SaslConfigs.SASL_MECHANISM + "=" + (mechanism == null ? SaslConfigs.DEFAULT_SASL_MECHANISM : mechanism)
                : "");
    }
}
