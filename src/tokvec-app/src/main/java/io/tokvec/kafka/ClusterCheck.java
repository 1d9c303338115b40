package io.tokvec.kafka;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.common.KafkaException;
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
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Can the Kafka cluster of {@code bootstrap.servers} be used, with the configured security
 * settings? Answers within a timeout, in one line, before a command starts its own clients (which
 * would retry for a minute and log a warning per attempt). Two steps, each given the whole timeout:
 * <ol>
 *   <li>a TCP connection to one of the bootstrap addresses (retried until the timeout, so a broker
 *       that is still starting is waited for): none answers means the cluster is unreachable;
 *   <li>a {@code DescribeCluster} request through an admin client with the configured
 *       {@code security.protocol}, {@code sasl.*} and {@code ssl.*}: this finds a refused SASL login,
 *       a failed TLS handshake, or a listener that does not speak what the client speaks.
 * </ol>
 * The Kafka clients' connection warnings are kept out of the console meanwhile (see
 * {@link QuietClientLogs}) unless {@code quietLogs} is false.
 */
public final class ClusterCheck {

    /** Pause between two rounds of connection attempts. */
    private static final long RETRY_PAUSE_MS = 200;
    /** How long the TLS probe that explains a timeout waits for the listener's first byte. */
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
     * @throws StartupCheckException naming {@code bootstrap.servers} and what failed
     */
    public static Cluster check(Map<String, ?> clientProps, Duration timeout, boolean quietLogs) {
        Object value = clientProps.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
        String servers = value == null ? "" : value.toString().trim();
        List<InetSocketAddress> addresses = addresses(servers);
        InetSocketAddress reached = connect(servers, addresses, timeout);
        try (QuietClientLogs quiet = QuietClientLogs.of(QuietClientLogs.KAFKA_CLIENTS, quietLogs)) {
            return describe(servers, reached, clientProps, timeout);
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

    /** Returns the first address that accepts a TCP connection; retries until the timeout. */
    private static InetSocketAddress connect(String servers, List<InetSocketAddress> addresses, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        IOException last = null;
        while (true) {
            for (InetSocketAddress a : addresses) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                IOException e = tryConnect(a.getHostString(), a.getPort(), (int) Math.max(1, Math.min(left, CONNECT_ATTEMPT_MS)));
                if (e == null) {
                    return a;
                }
                // an attempt cut short by the deadline says less than a refusal or an unknown host
                if (last == null || !(e instanceof SocketTimeoutException) || last instanceof SocketTimeoutException) {
                    last = e;
                }
            }
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) break;
            try {
                Thread.sleep(Math.min(RETRY_PAUSE_MS, left));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new StartupCheckException("cannot reach the Kafka cluster at " + servers + " (bootstrap.servers) within "
                + StartupCheckException.seconds(timeout) + ": " + StartupCheckException.reason(last), last);
    }

    /** One TCP connection attempt (closed at once): null when it was accepted, else why not. */
    static IOException tryConnect(String host, int port, int timeoutMs) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), timeoutMs);
            return null;
        } catch (IOException e) {
            return e;
        }
    }

    private static Cluster describe(String servers, InetSocketAddress reached, Map<String, ?> clientProps, Duration timeout) {
        Map<String, Object> props = new HashMap<>(clientProps);
        props.remove(CommonClientConfigs.CLIENT_ID_CONFIG); // a generated one: no clash with the command's own clients
        int ms = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, ms);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ms);
        String protocol = protocol(clientProps);
        String security = security(clientProps);
        Admin admin;
        try {
            admin = Admin.create(props);
        } catch (KafkaException e) {
            throw new StartupCheckException("cannot create a Kafka client for " + servers + " (" + security + "): "
                    + StartupCheckException.reason(e), e);
        }
        try {
            DescribeClusterResult r = admin.describeCluster(new DescribeClusterOptions().timeoutMs(ms));
            int brokers = r.nodes().get(ms + 5_000L, TimeUnit.MILLISECONDS).size();
            return new Cluster(r.clusterId().get(ms + 5_000L, TimeUnit.MILLISECONDS), brokers);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupCheckException("interrupted while checking the Kafka cluster at " + servers, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AuthorizationException) {
                // authenticated, only not allowed to describe the cluster: it can be used
                return new Cluster(null, -1);
            }
            throw failure(servers, reached, protocol, security, timeout, e.getCause() == null ? e : e.getCause());
        } catch (TimeoutException e) {
            throw failure(servers, reached, protocol, security, timeout, new org.apache.kafka.common.errors.TimeoutException(e));
        } finally {
            admin.close(Duration.ZERO);
        }
    }

    private static StartupCheckException failure(String servers, InetSocketAddress reached, String protocol, String security,
            Duration timeout, Throwable cause) {
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
        } else if (cause instanceof org.apache.kafka.common.errors.TimeoutException) {
            boolean clientTls = protocol.endsWith("SSL");
            Optional<Boolean> listenerTls = TlsProbe.speaksTls(reached.getHostString(), reached.getPort(), TLS_PROBE_MS);
            if (listenerTls.isPresent() && listenerTls.get() != clientTls) {
                message = clientTls
                        ? where + " does not speak TLS, but " + security + ": set security.protocol="
                                + (sasl ? "SASL_PLAINTEXT" : "PLAINTEXT") + ", or give the address of a TLS listener"
                        : where + " expects TLS, but " + security + ": set security.protocol=" + (sasl ? "SASL_SSL" : "SSL")
                                + " (with ssl.truststore.location when its certificate is not in Java's trust store)";
            } else {
                message = where + " accepts connections but did not answer within " + StartupCheckException.seconds(timeout)
                        + " (" + security + "): does the listener expect another security.protocol, and can this host reach"
                        + " the addresses the brokers advertise (advertised.listeners)?";
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
