{{/* The name of every object of the release. */}}
{{- define "trellis.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "trellis.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "trellis.labels" -}}
{{ include "trellis.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The config keys whose secrets are mounted: the chart's own and the existing Secret's. */}}
{{- define "trellis.secretKeys" -}}
{{- $keys := keys .Values.secrets -}}
{{- if .Values.existingSecret.name -}}{{- $keys = concat $keys .Values.existingSecret.keys -}}{{- end -}}
{{- toJson (sortAlpha (uniq $keys)) -}}
{{- end -}}

{{- define "trellis.redisAddr" -}}
{{- if .Values.redis.externalAddr -}}{{ .Values.redis.externalAddr }}
{{- else if .Values.redis.enabled -}}{{ include "trellis.fullname" . }}-redis:6379
{{- end -}}
{{- end -}}

{{/* setPath sets the dotted key .path of the dict .root to .value, making the dicts on the way. */}}
{{- define "trellis.setPath" -}}
{{- $d := .root -}}
{{- $parts := splitList "." .path -}}
{{- range (initial $parts) -}}
{{- if not (kindIs "map" (get $d .)) -}}{{- $_ := set $d . dict -}}{{- end -}}
{{- $d = get $d . -}}
{{- end -}}
{{- $_ := set $d (last $parts) .value -}}
{{- end -}}

{{/* The config file: .Values.config with what the chart decides set over it. */}}
{{- define "trellis.config" -}}
{{- $cfg := deepCopy .Values.config -}}
{{- include "trellis.setPath" (dict "root" $cfg "path" "server.addr" "value" (printf "0.0.0.0:%v" .Values.service.targetPort)) -}}
{{- include "trellis.setPath" (dict "root" $cfg "path" "server.admin_addr" "value" (printf "0.0.0.0:%v" .Values.service.adminPort)) -}}
{{- include "trellis.setPath" (dict "root" $cfg "path" "server.shutdown_delay" "value" (printf "%vs" .Values.shutdown.delaySeconds)) -}}
{{- include "trellis.setPath" (dict "root" $cfg "path" "server.shutdown_timeout" "value" (printf "%vs" .Values.shutdown.timeoutSeconds)) -}}
{{- range (include "trellis.secretKeys" . | fromJsonArray) -}}
{{- include "trellis.setPath" (dict "root" $cfg "path" (printf "%s_file" .) "value" (printf "/etc/trellis/secrets/%s" .)) -}}
{{- end -}}
{{- with (include "trellis.redisAddr" .) -}}
{{- $addr := . -}}
{{- range (list "rate_limit" "persisted_queries" "cache") -}}
{{- include "trellis.setPath" (dict "root" $cfg "path" (printf "%s.store" .) "value" "redis") -}}
{{- include "trellis.setPath" (dict "root" $cfg "path" (printf "%s.redis.addr" .) "value" $addr) -}}
{{- end -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}
