package io.tokvec.cli;

import io.tokvec.config.TokvecConfig;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * {@code -p key=value} overrides on top of a {@code --config FILE}, shared by the commands that talk
 * to Kafka. The subclasses declare {@code --config}: optional ({@link ConfigOptions}) or required
 * ({@link RequiredConfigOptions}), so that each command's help says which.
 */
abstract class ConfigOverrides {

    static final String CONFIG_DESCRIPTION = "Properties file (see config/tokvec.properties).";

    @Option(names = {"-p", "--property"}, paramLabel = "KEY=VALUE", description = "Overrides one setting (repeatable).")
    Map<String, String> overrides = new LinkedHashMap<>();

    /** The {@code --config} file, or null. */
    abstract Path file();

    /** The settings: file, then overrides, then {@code defaults} for keys still missing. */
    public Map<String, String> load(Map<String, String> defaults) {
        Map<String, String> m = new HashMap<>(defaults);
        if (file() != null) {
            Properties p = TokvecConfig.load(file());
            for (String k : p.stringPropertyNames()) m.put(k, p.getProperty(k).trim());
        }
        m.putAll(overrides);
        return m;
    }
}
