package dev.autoif.workflows.campaign;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * The campaign export: streams the per-instruction records, in instruction order, into the campaign's JSONL files and
 * datasets (written as parts), heartbeating as it goes. Its own interface because it runs for minutes to hours with a
 * heartbeat timeout, where the store's other activities take milliseconds. The type name is the one recorded
 * histories carry.
 */
@ActivityInterface
public interface ExportActivities {
    @ActivityMethod(name = "ExportCampaign")
    ExportedFiles export(ExportRequest request);
}
