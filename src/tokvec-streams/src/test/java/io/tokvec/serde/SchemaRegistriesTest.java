package io.tokvec.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokvec.avro.TokenEvent;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SchemaRegistriesTest {

    private static final String SCOPE = SchemaRegistriesTest.class.getSimpleName();

    @AfterEach
    void dropScope() {
        MockSchemaRegistry.dropScope(SCOPE);
    }

    @Test
    void shouldExplainWhenUrlIsMissing() {
        assertThatThrownBy(() -> SchemaRegistries.forConfig(Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("schema.registry.url is required");
        var deserializer = new ConfluentAvroDeserializer<>(TokenEvent.class);
        assertThatThrownBy(() -> deserializer.configure(Map.of(SchemaRegistries.URL, " "), false))
                .isInstanceOf(ConfigException.class);
    }

    @Test
    void shouldRejectWhenSchemeIsUnsupportedOrMockIsMixed() {
        assertThatThrownBy(() -> SchemaRegistries.forConfig(Map.of(SchemaRegistries.URL, "ftp://host:21")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("mock://<scope> or http(s)://host:port");
        assertThatThrownBy(() -> SchemaRegistries.forConfig(
                Map.of(SchemaRegistries.URL, "mock://a,http://localhost:8081")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("mock:// URL must be the only URL");
    }

    @Test
    void shouldRequireUserInfoWhenSourceIsUserInfo() {
        assertThatThrownBy(() -> SchemaRegistries.forConfig(Map.of(SchemaRegistries.URL, "http://localhost:8081",
                SchemaRegistries.BASIC_AUTH_CREDENTIALS_SOURCE, "USER_INFO")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("basic.auth.user.info");
        assertThatThrownBy(() -> SchemaRegistries.forConfig(Map.of(SchemaRegistries.URL, "http://localhost:8081",
                SchemaRegistries.BASIC_AUTH_CREDENTIALS_SOURCE, "SASL_INHERIT")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("URL and USER_INFO");
    }

    @Test
    void shouldRejectWhenTimeoutIsNotANumber() {
        assertThatThrownBy(() -> SchemaRegistries.forConfig(Map.of(SchemaRegistries.URL, "http://localhost:8081",
                SchemaRegistries.REQUEST_TIMEOUT_MS, "soon")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(SchemaRegistries.REQUEST_TIMEOUT_MS);
    }

    @Test
    void shouldBuildHttpClientWhenUrlsAreAListOrCommaSeparated() {
        assertThat(SchemaRegistries.forConfig(Map.of(SchemaRegistries.URL, "http://a:8081, https://b:8082/")))
                .isInstanceOf(HttpSchemaRegistryClient.class)
                .hasToString("HttpSchemaRegistryClient[http://a:8081, https://b:8082/]");
        assertThat(SchemaRegistries.forConfig(Map.of(SchemaRegistries.URL, List.of("http://u:p@a:8081"))))
                .hasToString("HttpSchemaRegistryClient[http://a:8081]");
    }

    @Test
    void shouldReturnScopeRegistryWhenUrlIsMock() {
        SchemaRegistryClient client = SchemaRegistries.forConfig(Map.of(SchemaRegistries.URL, "mock://" + SCOPE));
        assertThat(client).isSameAs(MockSchemaRegistry.getClientForScope(SCOPE));
        assertThat(client).isNotSameAs(MockSchemaRegistry.getClientForScope(SCOPE + "-other"));
        MockSchemaRegistry.dropScope(SCOPE + "-other");
    }

    @Test
    void shouldFailClearlyWhenSerdeIsUsedBeforeConfigure() {
        var serializer = new ConfluentAvroSerializer<TokenEvent>();
        assertThatThrownBy(() -> serializer.serialize("t", SampleRecords.tokenEvent("x", 1)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not configured");
    }
}
