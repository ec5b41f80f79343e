package dev.autoif.workflows.activities;

import java.util.List;

public record ExportedFiles(List<String> files) {}
