package io.tokvec.cli;

import java.util.concurrent.Callable;

/**
 * A picocli subcommand that lives outside the production module ({@code broker} and {@code demo} in
 * tokvec-devkit, {@code bench} in tokvec-bench). {@link Main} finds them with {@link java.util.ServiceLoader}
 * (listed in {@code META-INF/services/io.tokvec.cli.TokvecCommand}), so {@code target/tokvec-app.jar}
 * offers the production commands only and {@code target/tokvec.jar} offers them all.
 */
public interface TokvecCommand extends Callable<Integer> {
}
