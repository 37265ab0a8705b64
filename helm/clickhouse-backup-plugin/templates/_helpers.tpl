{{/* Names and labels. */}}
{{- define "cbp.name" -}}clickhouse-backup-plugin{{- end -}}

{{- define "cbp.fullname" -}}
{{- if contains "clickhouse-backup-plugin" .Release.Name -}}{{ .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else -}}{{ printf "%s-clickhouse-backup-plugin" .Release.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "cbp.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cbp.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "cbp.labels" -}}
{{ include "cbp.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "cbp.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}{{ default (include "cbp.fullname" .) .Values.serviceAccount.name }}
{{- else -}}{{ default "default" .Values.serviceAccount.name }}{{- end -}}
{{- end -}}

{{- define "cbp.image" -}}
{{- if .Values.image.digest -}}{{ printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else -}}{{ printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}{{- end -}}
{{- end -}}

{{/* The plugin container: the same in its own Deployment and as a sidecar of the operator. */}}
{{- define "cbp.container" -}}
name: clickhouse-backup-plugin
image: {{ include "cbp.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
args:
  - --listen
  - {{ printf "0.0.0.0:%d" (int .Values.port) | quote }}
  - --clickhouse-user
  - {{ .Values.clickhouse.user | quote }}
  - --secrets-dir
  - /var/run/secrets/clickhouse-backup-plugin
  {{- if .Values.clickhouse.passwordSecret.name }}
  - --clickhouse-password-file
  - /etc/clickhouse-backup-plugin/clickhouse/password
  {{- end }}
  {{- range .Values.extraArgs }}
  - {{ . | quote }}
  {{- end }}
ports:
  - name: grpc
    containerPort: {{ .Values.port }}
    protocol: TCP
startupProbe:
  grpc: {port: {{ .Values.port }}}
  periodSeconds: 2
  failureThreshold: 30
livenessProbe:
  grpc: {port: {{ .Values.port }}}
  periodSeconds: 10
readinessProbe:
  grpc: {port: {{ .Values.port }}}
  periodSeconds: 5
resources: {{- toYaml .Values.resources | nindent 2 }}
securityContext:
  runAsNonRoot: true
  runAsUser: 65532
  runAsGroup: 65532
  readOnlyRootFilesystem: true
  allowPrivilegeEscalation: false
  privileged: false
  capabilities: {drop: [ALL]}
  seccompProfile: {type: RuntimeDefault}
volumeMounts:
  {{- if .Values.clickhouse.passwordSecret.name }}
  - name: clickhouse-password
    mountPath: /etc/clickhouse-backup-plugin/clickhouse
    readOnly: true
  {{- end }}
  {{- range .Values.s3CredentialSecrets }}
  - name: {{ printf "s3-%s" . | trunc 63 | trimSuffix "-" }}
    mountPath: {{ printf "/var/run/secrets/clickhouse-backup-plugin/%s" . }}
    readOnly: true
  {{- end }}
  - name: tmp
    mountPath: /tmp
{{- end -}}

{{- define "cbp.volumes" -}}
{{- if .Values.clickhouse.passwordSecret.name }}
- name: clickhouse-password
  secret:
    secretName: {{ .Values.clickhouse.passwordSecret.name }}
    items: [{key: {{ .Values.clickhouse.passwordSecret.key }}, path: password}]
{{- end }}
{{- range .Values.s3CredentialSecrets }}
- name: {{ printf "s3-%s" . | trunc 63 | trimSuffix "-" }}
  secret: {secretName: {{ . }}}
{{- end }}
- name: tmp
  emptyDir: {sizeLimit: 16Mi}
{{- end -}}
