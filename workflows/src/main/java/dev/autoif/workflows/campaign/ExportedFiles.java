package dev.autoif.workflows.campaign;

import java.util.List;

public record ExportedFiles(List<String> files) {}
