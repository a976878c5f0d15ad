{{/* Names and labels shared by the templates. */}}
{{- define "gitfleet.component" -}}
{{- if eq .Values.mode "agent" }}agent{{ else }}hub{{ end -}}
{{- end -}}

{{- define "gitfleet.name" -}}
gitfleet-{{ include "gitfleet.component" . }}
{{- end -}}

{{- define "gitfleet.selector" -}}
app.kubernetes.io/name: {{ include "gitfleet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "gitfleet.labels" -}}
{{ include "gitfleet.selector" . }}
app.kubernetes.io/component: {{ include "gitfleet.component" . }}
app.kubernetes.io/part-of: gitfleet
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/*
  Annotations of the agent's own objects: the agents ApplicationSet's Application (self-management.yaml)
  adopts them in place when the agent was first installed by hand (helm install), which gitfleet
  does not own, taking over the fields Helm set. Only these objects carry it, and only gitfleet's
  own installation renders them.
*/}}
{{- define "gitfleet.annotations" -}}
{{- if eq .Values.mode "agent" }}
  annotations:
    gitfleet.dev/sync-options: Takeover=true,ForceConflicts=true
{{- end -}}
{{- end -}}

{{- define "gitfleet.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{/* gitfleet keeps its Clusters, tokens and Leases in gitfleet-system (src/api/cluster.ts). */}}
{{- define "gitfleet.checkNamespace" -}}
{{- if ne .Release.Namespace "gitfleet-system" -}}
{{- fail (printf "install gitfleet into namespace gitfleet-system (--namespace gitfleet-system), not %q" .Release.Namespace) -}}
{{- end -}}
{{- if not (has .Values.mode (list "hub" "agent")) -}}
{{- fail (printf "values.mode must be hub or agent, not %q" .Values.mode) -}}
{{- end -}}
{{- if not (has .Values.audit.store (list "embedded" "postgres" "off")) -}}
{{- fail (printf "values.audit.store must be embedded, postgres or off, not %q" .Values.audit.store) -}}
{{- end -}}
{{- end -}}
