package io.tokvec.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** An optional {@code --config FILE} plus {@code -p key=value} overrides ({@code publish}: the keys may all come from {@code -p}). */
public final class ConfigOptions extends ConfigOverrides {

    @Option(names = "--config", paramLabel = "FILE", description = CONFIG_DESCRIPTION)
    Path file;

    @Override
    Path file() {
        return file;
    }
}
