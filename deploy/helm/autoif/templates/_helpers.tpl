{{/* Resource names: <release>-autoif[-<role>] (just <release> when it already says autoif), cut to the 63
characters Kubernetes allows. */}}
{{- define "autoif.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "autoif.roleName" -}}
{{- printf "%s-%s" (include "autoif.fullname" .root) .role | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "autoif.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "autoif.secretName" -}}
{{- default (include "autoif.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "autoif.claimName" -}}
{{- default (printf "%s-data" (include "autoif.fullname" .)) .Values.persistence.existingClaim -}}
{{- end -}}

{{/* An object store (s3://...) every pod reaches, rather than the shared ReadWriteMany volume. */}}
{{- define "autoif.objectStore" -}}
{{- if .Values.store.location -}}
{{- if not (hasPrefix "s3://" .Values.store.location) -}}
{{- fail (printf "store.location: %q is not s3://bucket/prefix (leave it empty for the shared volume)" .Values.store.location) -}}
{{- end -}}
true
{{- end -}}
{{- end -}}
