package io.tokvec.it;

/** JUnit tags of the integration tests, which the build can leave out ({@code -Dtokvec.it.exclude=TAG}). */
final class ItTags {

    /**
     * Writes tables of several GB to the temporary directory (LargeTableIT, LargeWord2VecIT): skipped
     * with {@code -Dtokvec.it.exclude=large}, run alone with {@code -Dgroups=large}.
     */
    static final String LARGE = "large";

    private ItTags() {
    }
}
