package io.tokvec.broker;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Pattern;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.security.auth.SecurityProtocol;

/**
 * Security of a devkit cluster's client listener, which is also the listener the brokers replicate over:
 * PLAINTEXT, SASL_PLAINTEXT (SASL/PLAIN accounts), SSL (a TLS key store and trust store) or SASL_SSL (both).
 * The brokers authenticate to each other with an internal account ({@value #INTERNAL_USER}) whose password
 * every node must know: random for the nodes of one JVM, or {@link #sharedInternalPassword derived} from the
 * accounts file and the cluster id for nodes started as separate processes. The controller listener is
 * PLAINTEXT on loopback.
 */
public final class BrokerSecurity {

    /** Account the brokers themselves (and the devkit's own admin clients) use on a SASL listener. */
    public static final String INTERNAL_USER = "tokvec_internal";
    static final String PLAIN_LOGIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule";
    private static final Pattern USER_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*");

    /** A PKCS12 (or JKS) key store holding the node's key and certificate chain, a trust store with the CA, and their password. */
    public record TlsStores(Path keystore, Path truststore, String password, String type) {
        public TlsStores {
            Objects.requireNonNull(keystore, "keystore");
            Objects.requireNonNull(truststore, "truststore");
            Objects.requireNonNull(password, "password");
            type = type == null ? "PKCS12" : type;
        }
    }

    private final Map<String, String> users; // null: no SASL
    private final TlsStores tls;             // null: no TLS
    private final String internalPassword;

    private BrokerSecurity(Map<String, String> users, TlsStores tls, String internalPassword) {
        this.users = users == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(users));
        this.tls = tls;
        this.internalPassword = internalPassword;
    }

    public static BrokerSecurity plaintext() {
        return new BrokerSecurity(null, null, null);
    }

    /**
     * @param users SASL/PLAIN accounts (name to password), or null for no SASL
     * @param tls   the node's TLS stores, or null for no TLS
     * @param internalPassword password of {@value #INTERNAL_USER}; null for a random one (all nodes in one JVM)
     */
    public static BrokerSecurity of(Map<String, String> users, TlsStores tls, String internalPassword) {
        if (users != null) {
            checkUsers(users);
        }
        String pw = users == null ? null : internalPassword != null ? internalPassword : randomPassword();
        return new BrokerSecurity(users, tls, pw);
    }

    /** Rejects an empty account list, names that JAAS options or ACL principals cannot hold, and the reserved name. */
    static void checkUsers(Map<String, String> users) {
        if (users.isEmpty()) {
            throw new IllegalArgumentException("SASL needs at least one user");
        }
        users.forEach((u, pw) -> {
            checkUserName(u);
            if (u.equals(INTERNAL_USER)) {
                throw new IllegalArgumentException("reserved SASL user name: " + u);
            }
            Objects.requireNonNull(pw, "password of " + u);
        });
    }

    static void checkUserName(String u) {
        if (u == null || !USER_NAME.matcher(u).matches()) {
            throw new IllegalArgumentException("user names must match " + USER_NAME + ": " + u);
        }
    }

    public SecurityProtocol protocol() {
        if (users != null) {
            return tls != null ? SecurityProtocol.SASL_SSL : SecurityProtocol.SASL_PLAINTEXT;
        }
        return tls != null ? SecurityProtocol.SSL : SecurityProtocol.PLAINTEXT;
    }

    /** Name of the client listener: the protocol's name. */
    public String listenerName() {
        return protocol().name;
    }

    public boolean sasl() {
        return users != null;
    }

    public TlsStores tls() {
        return tls;
    }

    /** The SASL accounts (name to password), or null without SASL. */
    public Map<String, String> users() {
        return users;
    }

    /** Broker properties for the client listener: SASL mechanism and accounts, TLS stores. */
    Map<String, String> serverProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        if (users != null) {
            p.put("sasl.enabled.mechanisms", "PLAIN");
            p.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
            p.put("listener.name." + listenerName().toLowerCase(Locale.ROOT) + ".plain.sasl.jaas.config", serverJaasConfig());
        }
        if (tls != null) {
            p.put(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, tls.keystore().toAbsolutePath().toString());
            p.put(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG, tls.password());
            p.put(SslConfigs.SSL_KEY_PASSWORD_CONFIG, tls.password());
            p.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, tls.type());
            p.putAll(trustStoreProperties(tls));
        }
        return p;
    }

    /** The broker-side JAAS config of the SASL listener: the internal account plus one {@code user_<name>} per user. */
    String serverJaasConfig() {
        StringBuilder sb = new StringBuilder(PLAIN_LOGIN_MODULE).append(" required")
                .append(" username=").append(jaasQuote(INTERNAL_USER))
                .append(" password=").append(jaasQuote(internalPassword))
                .append(" user_").append(INTERNAL_USER).append('=').append(jaasQuote(internalPassword));
        users.forEach((u, pw) -> sb.append(" user_").append(u).append('=').append(jaasQuote(pw)));
        return sb.append(';').toString();
    }

    /** What a client of the internal account needs besides {@code bootstrap.servers}. */
    Map<String, Object> internalClientProperties() {
        return clientProperties(INTERNAL_USER, internalPassword);
    }

    /**
     * What a client needs besides {@code bootstrap.servers}: the security protocol, the SASL/PLAIN login of
     * {@code user} (with SASL) and the trust store (with TLS).
     */
    Map<String, Object> clientProperties(String user, String password) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (users != null) {
            m.putAll(saslClientProperties(user, password));
        }
        m.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, protocol().name);
        if (tls != null) {
            m.putAll(trustStoreProperties(tls));
        }
        return m;
    }

    /** The password of {@code user}, one of the SASL accounts. */
    String password(String user) {
        if (users == null) {
            throw new IllegalStateException("SASL is not enabled on this cluster");
        }
        String pw = users.get(user);
        if (pw == null) {
            throw new IllegalArgumentException("unknown SASL user: " + user);
        }
        return pw;
    }

    /** The client-side SASL/PLAIN settings ({@code security.protocol} SASL_PLAINTEXT, {@code sasl.mechanism}, {@code sasl.jaas.config}). */
    public static Map<String, Object> saslClientProperties(String user, String password) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, SecurityProtocol.SASL_PLAINTEXT.name);
        m.put(SaslConfigs.SASL_MECHANISM, "PLAIN");
        m.put(SaslConfigs.SASL_JAAS_CONFIG, PLAIN_LOGIN_MODULE + " required username=" + jaasQuote(user)
                + " password=" + jaasQuote(password) + ";");
        return m;
    }

    private static Map<String, String> trustStoreProperties(TlsStores tls) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, tls.truststore().toAbsolutePath().toString());
        m.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, tls.password());
        m.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, tls.type());
        return m;
    }

    static String jaasQuote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    /**
     * Reads an accounts file: a properties file of {@code name=password} lines ({@code tokvec broker --users}).
     */
    public static Map<String, String> readUsers(Path file) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the accounts file " + file + ": " + e.getMessage(), e);
        }
        Map<String, String> users = new TreeMap<>();
        for (String name : p.stringPropertyNames()) {
            users.put(name, p.getProperty(name));
        }
        if (users.isEmpty()) {
            throw new IllegalArgumentException("the accounts file " + file + " names no user (one name=password per line)");
        }
        return users;
    }

    /**
     * The internal account's password for nodes in separate processes: the same on every node given the same
     * accounts and cluster id, and unknown to anyone who cannot read the accounts.
     */
    public static String sharedInternalPassword(Map<String, String> users, String clusterId) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(("tokvec-internal:" + clusterId).getBytes(StandardCharsets.UTF_8));
            new TreeMap<>(users).forEach((u, pw) -> sha.update(("\n" + u + "=" + pw).getBytes(StandardCharsets.UTF_8)));
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String randomPassword() {
        byte[] secret = new byte[16];
        new SecureRandom().nextBytes(secret);
        return HexFormat.of().formatHex(secret);
    }
}
