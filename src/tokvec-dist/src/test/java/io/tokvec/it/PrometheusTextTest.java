package io.tokvec.it;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The test-side Prometheus text parser that {@link OpsEndpointIT} scrapes with. */
class PrometheusTextTest {

    @Test
    void shouldReadTypesLabelsEscapesAndSpecialValuesWhenParsingAScrape() {
        PrometheusText p = PrometheusText.parse("""
                # HELP jobs_total Jobs done.
                # TYPE jobs_total counter
                jobs_total{queue="a\\"b",path="c:\\\\d",note="x\\ny"} 3.0 1700000000000
                jobs_total{queue="e"} 4
                # TYPE up gauge
                up 1
                latency_max +Inf
                ratio NaN
                """);
        assertThat(p.type("jobs_total")).hasValue("counter");
        assertThat(p.type("up")).hasValue("gauge");
        assertThat(p.samples()).hasSize(5);
        assertThat(p.find("jobs_total", Map.of("queue", "a\"b"))).singleElement().satisfies(s -> {
            assertThat(s.value()).isEqualTo(3.0);
            assertThat(s.labels()).containsEntry("path", "c:\\d").containsEntry("note", "x\ny");
        });
        assertThat(p.find("jobs_total", Map.of())).extracting(PrometheusText.Sample::value).containsExactly(3.0, 4.0);
        assertThat(p.find("up", Map.of()).get(0).labels()).isEmpty();
        assertThat(p.find("latency_max", Map.of()).get(0).value()).isInfinite();
        assertThat(p.find("ratio", Map.of()).get(0).value()).isNaN();
    }

    @Test
    void shouldFailNamingTheLineWhenASampleIsMalformed() {
        assertThatThrownBy(() -> PrometheusText.parse("ok 1\nbroken{a=\"1\"}\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("line 2");
        assertThatThrownBy(() -> PrometheusText.parse("x{a=1} 2\n")).hasMessageContaining("line 1");
    }
}
