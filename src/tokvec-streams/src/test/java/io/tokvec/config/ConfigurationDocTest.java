package io.tokvec.config;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The configuration reference cannot drift from the code: the committed page is exactly what
 * {@link ConfigurationDoc} generates from {@link TokvecConfig#CONFIG}. With
 * {@code -Dtokvec.docs.write=true} the test rewrites the page instead (see {@link ConfigurationDoc#REGENERATE}).
 */
class ConfigurationDocTest {

    static final Path PAGE = Path.of("src/site/markdown/configuration.md");

    @Test
    void shouldMatchTheConfigDefWhenTheReferenceIsGenerated() throws IOException {
        String generated = ConfigurationDoc.markdown(TokvecConfig.CONFIG);
        if (Boolean.getBoolean("tokvec.docs.write")) {
            Files.writeString(PAGE, generated, StandardCharsets.UTF_8);
        }

        assertThat(Files.readString(PAGE, StandardCharsets.UTF_8))
                .as("%s is generated from TokvecConfig.CONFIG; regenerate it with: %s", PAGE, ConfigurationDoc.REGENERATE)
                .isEqualTo(generated);
    }

    @Test
    void shouldListEveryKeyWithItsDocumentationWhenGenerated() {
        String generated = ConfigurationDoc.markdown(TokvecConfig.CONFIG);

        assertThat(TokvecConfig.CONFIG.configKeys().values()).isNotEmpty().allSatisfy(k -> {
            assertThat(generated).contains("| `" + k.name + "` |");
            assertThat(k.documentation).as("documentation of %s", k.name).isNotBlank();
        });
        assertThat(generated).contains("| `tokvec.max.len` | int | must be set | [1,...,")
                .contains("| `tokvec.padding` | string | `pre` | pre, post (any case) |")
                .contains("| `tokvec.table.version` | long | unset |");
    }
}
