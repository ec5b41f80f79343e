package dev.autoif.worker.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** The PromQL reading behind the end-to-end check that the dashboard only queries exported metrics. */
class DashboardQueriesTest {
    @Test
    void namesTheMetricsNotTheFunctionsLabelsOrKeywords() {
        assertEquals(Set.of("temporal_activity_schedule_to_start_latency_seconds_bucket"), DashboardQueries.metricNames(
                "histogram_quantile(0.95, sum by (le, task_queue) (rate(temporal_activity_schedule_to_start_latency_seconds_bucket"
                        + "{task_queue=~\"autoif-.*\", x=\"a{b}\"}[5m])))"));
        assertEquals(Set.of("autoif_campaign_instructions_finished", "autoif_campaign_instructions"), DashboardQueries.metricNames(
                "max by (campaign) (autoif_campaign_instructions_finished) / max by (campaign) (autoif_campaign_instructions)"));
        assertEquals(Set.of("a_total", "b"), DashboardQueries.metricNames("sum without (pod) (rate(a_total[1m])) and on (x) b offset 5m"));
    }
}
