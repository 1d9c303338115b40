package io.tokvec.config;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.ConfigKey;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Writes the configuration reference ({@code src/site/markdown/configuration.md}) from a
 * {@link ConfigDef}: one table per group, in the order the groups were defined, keys in their order
 * within the group, each with its type, default, valid values and documentation. What Kafka's
 * {@code ConfigDef.toEnrichedRst()} does for reStructuredText, in markdown.
 */
final class ConfigurationDoc {

    /** The command that rewrites the page from the code. */
    static final String REGENERATE = "mvn -B -q -pl src/tokvec-streams -am test -Dtest=ConfigurationDocTest "
            + "-Dsurefire.failIfNoSpecifiedTests=false -Dtokvec.docs.write=true";

    private ConfigurationDoc() {
    }

    static String markdown(ConfigDef def) {
        StringBuilder md = new StringBuilder();
        md.append("# Configuration reference\n\n")
                .append("<!-- Generated from TokvecConfig.CONFIG by ConfigurationDocTest; do not edit. Regenerate with:\n")
                .append("     ").append(REGENERATE).append(" -->\n\n")
                .append("Every `tokvec.*` key, as the code declares it. Set them in the properties file given to\n")
                .append("`--config FILE` (see `config/tokvec.properties`) or with `-p key=value`; a missing or invalid\n")
                .append("value stops the command at start with an error naming the key. Every key that does not start\n")
                .append("with `tokvec.` (Kafka Streams, producer, consumer, admin, security, `schema.registry.*`) passes\n")
                .append("through to the clients tokvec creates; what tokvec sets among those is in\n")
                .append("[operations](operations.md#configuration).\n");
        for (String group : groups(def)) {
            md.append("\n## ").append(group).append("\n\n")
                    .append("| key | type | default | valid values | description |\n")
                    .append("| --- | --- | --- | --- | --- |\n");
            def.configKeys().values().stream()
                    .filter(k -> group.equals(k.group))
                    .sorted(Comparator.comparingInt((ConfigKey k) -> k.orderInGroup))
                    .forEach(k -> md.append("| `").append(k.name).append("` | ")
                            .append(k.type.name().toLowerCase(java.util.Locale.ROOT)).append(" | ")
                            .append(defaultText(k)).append(" | ")
                            .append(cell(validValues(k))).append(" | ")
                            .append(cell(k.documentation)).append(" |\n"));
        }
        return md.toString();
    }

    /** Groups in the order of their first key. */
    private static List<String> groups(ConfigDef def) {
        List<String> groups = new ArrayList<>();
        for (ConfigKey k : def.configKeys().values()) {
            if (k.group == null) {
                throw new IllegalStateException(k.name + " has no group: define it with a group so the reference can list it");
            }
            if (!groups.contains(k.group)) groups.add(k.group);
        }
        return groups;
    }

    private static String defaultText(ConfigKey k) {
        if (!k.hasDefault()) return "must be set";
        if (k.defaultValue == null) return "unset";
        String v = ConfigDef.convertToString(k.defaultValue, k.type);
        return v.isEmpty() ? "empty" : "`" + v + "`";
    }

    private static String validValues(ConfigKey k) {
        if (k.validator == null) {
            return k.type == ConfigDef.Type.BOOLEAN ? "`true`, `false`" : "";
        }
        String v = k.validator.toString();
        if (v.contains("$$Lambda") || v.contains("$Lambda")) {
            throw new IllegalStateException("the validator of " + k.name + " has no description: wrap it in "
                    + "ConfigDef.LambdaValidator.with(validator, () -> \"what is allowed\")");
        }
        return v;
    }

    /** A table cell: no line breaks, pipes escaped. */
    private static String cell(String text) {
        return text == null ? "" : text.replace("\n", " ").replace("|", "\\|");
    }
}
