package dev.autoif.activities.sandbox;

import dev.autoif.workflows.activities.EvaluationBatch;
import dev.autoif.workflows.activities.EvaluationResult;
import dev.autoif.workflows.activities.SandboxActivities;
import io.temporal.activity.Activity;

public class SandboxActivitiesImpl implements SandboxActivities {
    private final DockerSandbox sandbox;

    public SandboxActivitiesImpl(DockerSandbox sandbox) {
        this.sandbox = sandbox;
    }

    @Override
    public EvaluationResult evaluate(EvaluationBatch batch) {
        var context = Activity.getExecutionContext();
        return sandbox.evaluate(batch, () -> context.heartbeat(null));
    }
}
