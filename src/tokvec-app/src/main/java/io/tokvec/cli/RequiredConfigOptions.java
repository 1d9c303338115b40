package io.tokvec.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** A required {@code --config FILE} plus {@code -p key=value} overrides ({@code run}). */
public final class RequiredConfigOptions extends ConfigOverrides {

    @Option(names = "--config", required = true, paramLabel = "FILE", description = CONFIG_DESCRIPTION)
    Path file;

    @Override
    Path file() {
        return file;
    }
}
