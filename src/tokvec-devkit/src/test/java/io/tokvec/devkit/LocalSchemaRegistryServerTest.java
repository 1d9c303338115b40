package io.tokvec.devkit;

import io.tokvec.serde.ConfluentAvroDeserializer;
import io.tokvec.serde.ConfluentAvroSerializer;
import io.tokvec.serde.SchemaRegistries;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.serde.UnknownSchemaException;

import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.TokenEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalSchemaRegistryServerTest {

    @TempDir
    Path dir;

    @Test
    void shouldServeTheProjectsHttpClientAndKeepIdsAcrossARestart() throws Exception {
        Path store = dir.resolve("schemas.jsonl");
        byte[] bytes;
        int port;
        try (LocalSchemaRegistryServer server = new LocalSchemaRegistryServer(0, store);
             SchemaRegistryClient client = SchemaRegistries.forConfig(Map.of(SchemaRegistries.URL, server.url()))) {
            port = server.port();
            int a = client.register("events-value", TokenEvent.getClassSchema());
            int b = client.register("other-value", TokenEvent.getClassSchema());
            int c = client.register("out-value", EnrichedEvent.getClassSchema());
            assertThat(a).isEqualTo(1);
            assertThat(b).isEqualTo(a);
            assertThat(c).isEqualTo(2);
            bytes = new ConfluentAvroSerializer<TokenEvent>(client, false).serialize("events",
                    TokenEvent.newBuilder().setId("x").setTokenIds(List.of(4, 5)).build());
        }
        try (LocalSchemaRegistryServer server = new LocalSchemaRegistryServer(port, store);
             SchemaRegistryClient client = SchemaRegistries.forConfig(Map.of(SchemaRegistries.URL, server.url()))) {
            assertThat(client.getById(2)).isEqualTo(EnrichedEvent.getClassSchema());
            TokenEvent e = new ConfluentAvroDeserializer<>(TokenEvent.class, client, false).deserialize("events", bytes);
            assertThat(e.getTokenIds()).containsExactly(4, 5);
            assertThat(client.register("events-value", TokenEvent.getClassSchema())).isEqualTo(1);
            assertThatThrownBy(() -> client.getById(99)).isInstanceOf(UnknownSchemaException.class);
        }
    }
}
