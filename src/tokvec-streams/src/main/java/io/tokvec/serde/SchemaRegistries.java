package io.tokvec.serde;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * Builds a {@link SchemaRegistryClient} from serde configuration, with Confluent's key names.
 *
 * <p>Supported keys:
 * <ul>
 *   <li>{@value #URL} (required): {@code mock://<scope>} for the JVM-wide in-memory registry of
 *       that scope ({@link MockSchemaRegistry}), or one or more comma-separated {@code http://} /
 *       {@code https://} base URLs (a {@code List} of strings also works), tried in turn.
 *   <li>{@value #BASIC_AUTH_CREDENTIALS_SOURCE}: {@code URL} (the default; credentials from the
 *       URL, {@code http://user:password@host:8081}) or {@code USER_INFO} (from {@value #BASIC_AUTH_USER_INFO},
 *       {@code user:password}; the older key {@code schema.registry.basic.auth.user.info} also works).
 *       When the source is not set and the URL carries no credentials, a given
 *       {@value #BASIC_AUTH_USER_INFO} is used anyway. {@code SASL_INHERIT} and bearer
 *       authentication are not supported (a {@link ConfigException} says so).
 *   <li>{@value #REQUEST_TIMEOUT_MS}: connect and request timeout, default 30000.
 *   <li>TLS: {@code schema.registry.ssl.truststore.location} / {@code .password} / {@code .type}
 *       (default JKS) and, for mutual TLS, {@code schema.registry.ssl.keystore.location} /
 *       {@code .password} / {@code .type} and {@code schema.registry.ssl.key.password}. Without them
 *       the JVM's default trust store is used. Disabling host name verification is not supported.
 * </ul>
 *
 * <p>Each call returns a new HTTP client with its own caches (like Confluent's serdes, which each
 * own a {@code CachedSchemaRegistryClient}); mock clients are shared per scope.
 */
public final class SchemaRegistries {

    public static final String URL = "schema.registry.url";
    public static final String BASIC_AUTH_CREDENTIALS_SOURCE = "basic.auth.credentials.source";
    public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
    public static final String REQUEST_TIMEOUT_MS = "schema.registry.request.timeout.ms";
    public static final String SSL_TRUSTSTORE_LOCATION = "schema.registry.ssl.truststore.location";
    public static final String SSL_TRUSTSTORE_PASSWORD = "schema.registry.ssl.truststore.password";
    public static final String SSL_TRUSTSTORE_TYPE = "schema.registry.ssl.truststore.type";
    public static final String SSL_KEYSTORE_LOCATION = "schema.registry.ssl.keystore.location";
    public static final String SSL_KEYSTORE_PASSWORD = "schema.registry.ssl.keystore.password";
    public static final String SSL_KEYSTORE_TYPE = "schema.registry.ssl.keystore.type";
    public static final String SSL_KEY_PASSWORD = "schema.registry.ssl.key.password";

    /** Default of {@value #REQUEST_TIMEOUT_MS}. */
    public static final int DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

    private static final String MOCK_PREFIX = "mock://";
    private static final String LEGACY_USER_INFO = "schema.registry.basic.auth.user.info";

    private SchemaRegistries() {
    }

    /**
     * A client for the registry named by {@value #URL} in {@code config}.
     *
     * @throws ConfigException if the URL is missing or malformed, or another key is invalid
     */
    public static SchemaRegistryClient forConfig(Map<String, ?> config) {
        List<String> urls = urls(config.get(URL));
        if (urls.isEmpty()) {
            throw new ConfigException(URL + " is required: mock://<scope> for an in-memory registry,"
                    + " or http(s)://host:port of a Confluent-compatible schema registry");
        }
        if (urls.stream().anyMatch(u -> u.startsWith(MOCK_PREFIX))) {
            if (urls.size() != 1) {
                throw new ConfigException(URL, config.get(URL), "a mock:// URL must be the only URL");
            }
            return MockSchemaRegistry.getClientForScope(urls.get(0).substring(MOCK_PREFIX.length()));
        }
        List<URI> uris = new ArrayList<>();
        String urlUserInfo = null;
        for (String u : urls) {
            URI uri = parse(u);
            if (uri.getRawUserInfo() != null) {
                if (urlUserInfo == null) {
                    urlUserInfo = URLDecoder.decode(uri.getRawUserInfo(), StandardCharsets.UTF_8);
                }
                uri = withoutUserInfo(uri);
            }
            uris.add(uri);
        }
        return new HttpSchemaRegistryClient(uris, userInfo(config, urlUserInfo), timeout(config),
                sslContext(config));
    }

    private static List<String> urls(Object value) {
        List<String> out = new ArrayList<>();
        if (value instanceof Collection<?> list) {
            list.forEach(v -> out.addAll(urls(v)));
        } else if (value != null) {
            for (String part : value.toString().split(",")) {
                if (!part.isBlank()) {
                    out.add(part.trim());
                }
            }
        }
        return out;
    }

    private static URI parse(String url) {
        try {
            URI uri = new URI(url);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
                throw new ConfigException(URL, url, "expected mock://<scope> or http(s)://host:port");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new ConfigException(URL, url, "not a valid URL: " + e.getMessage());
        }
    }

    private static URI withoutUserInfo(URI uri) {
        try {
            return new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(),
                    uri.getQuery(), uri.getFragment());
        } catch (URISyntaxException e) {
            throw new ConfigException(URL, uri.getHost(), "not a valid URL: " + e.getMessage());
        }
    }

    private static String userInfo(Map<String, ?> config, String urlUserInfo) {
        String source = string(config, BASIC_AUTH_CREDENTIALS_SOURCE);
        String given = string(config, BASIC_AUTH_USER_INFO);
        if (given == null) {
            given = string(config, LEGACY_USER_INFO);
        }
        if (string(config, "bearer.auth.credentials.source") != null) {
            throw new ConfigException("bearer.auth.credentials.source is not supported; use basic auth");
        }
        if (source == null) {
            return urlUserInfo != null ? urlUserInfo : given;
        }
        switch (source.toUpperCase(Locale.ROOT)) {
            case "URL":
                return urlUserInfo;
            case "USER_INFO":
                if (given == null || !given.contains(":")) {
                    throw new ConfigException(BASIC_AUTH_USER_INFO, given == null ? null : "[hidden]",
                            "required as user:password when " + BASIC_AUTH_CREDENTIALS_SOURCE + "=USER_INFO");
                }
                return given;
            default:
                throw new ConfigException(BASIC_AUTH_CREDENTIALS_SOURCE, source,
                        "supported values are URL and USER_INFO");
        }
    }

    private static Duration timeout(Map<String, ?> config) {
        String value = string(config, REQUEST_TIMEOUT_MS);
        if (value == null) {
            return Duration.ofMillis(DEFAULT_REQUEST_TIMEOUT_MS);
        }
        try {
            long ms = Long.parseLong(value.trim());
            if (ms <= 0) {
                throw new ConfigException(REQUEST_TIMEOUT_MS, value, "must be positive");
            }
            return Duration.ofMillis(ms);
        } catch (NumberFormatException e) {
            throw new ConfigException(REQUEST_TIMEOUT_MS, value, "must be a number of milliseconds");
        }
    }

    private static SSLContext sslContext(Map<String, ?> config) {
        String trustLocation = string(config, SSL_TRUSTSTORE_LOCATION);
        String keyLocation = string(config, SSL_KEYSTORE_LOCATION);
        if (trustLocation == null && keyLocation == null) {
            return null;
        }
        try {
            TrustManagerFactory tmf = null;
            if (trustLocation != null) {
                tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(load(trustLocation, string(config, SSL_TRUSTSTORE_TYPE),
                        string(config, SSL_TRUSTSTORE_PASSWORD)));
            }
            KeyManagerFactory kmf = null;
            if (keyLocation != null) {
                String storePassword = string(config, SSL_KEYSTORE_PASSWORD);
                String keyPassword = string(config, SSL_KEY_PASSWORD);
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(load(keyLocation, string(config, SSL_KEYSTORE_TYPE), storePassword),
                        chars(keyPassword != null ? keyPassword : storePassword));
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf == null ? null : kmf.getKeyManagers(),
                    tmf == null ? null : tmf.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new ConfigException("cannot set up TLS for the schema registry: " + e);
        }
    }

    private static KeyStore load(String location, String type, String password)
            throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(type == null ? "JKS" : type);
        try (InputStream in = Files.newInputStream(Path.of(location))) {
            store.load(in, chars(password));
        }
        return store;
    }

    private static char[] chars(String s) {
        return s == null ? null : s.toCharArray();
    }

    /** A config value as a string (Kafka {@link Password}s unwrapped), or null when absent/blank. */
    static String string(Map<String, ?> config, String key) {
        Object v = config.get(key);
        if (v instanceof Password p) {
            v = p.value();
        }
        if (v == null || v.toString().isBlank()) {
            return null;
        }
        return v.toString();
    }
}
