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

{{/* The plugin container: the same in its own Deployment and as a sidecar of the operator,
     except where it listens. As a sidecar the gRPC port is on loopback (today's operator dials
     localhost:50051 in plaintext; nothing else in the pod network can reach it) and the
     kubelet's probes use the plaintext health-only port on the pod's address. */}}
{{- define "cbp.policiesOn" -}}{{ or (not (empty .Values.policies.content)) (not (empty .Values.policies.existingConfigMap)) }}{{- end -}}
{{/* An s3CredentialSecrets entry: "name" (mounted at DIR/name) or {namespace, name, secretName}
     (a copy of a Secret of the CHB's namespace, mounted at DIR/namespace/name). */}}
{{- define "cbp.s3SecretDir" -}}{{ if kindIs "string" . }}{{ . }}{{ else }}{{ printf "%s/%s" .namespace .name }}{{ end }}{{- end -}}
{{- define "cbp.s3SecretVolume" -}}{{ printf "s3-%s" (include "cbp.s3SecretDir" . | replace "/" "-") | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- define "cbp.s3SecretName" -}}{{ if kindIs "string" . }}{{ . }}{{ else }}{{ .secretName }}{{ end }}{{- end -}}
{{- define "cbp.healthPortOn" -}}{{ or .Values.tls.enabled (eq .Values.mode "sidecar") }}{{- end -}}
{{- define "cbp.container" -}}
name: clickhouse-backup-plugin
image: {{ include "cbp.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
args:
  - --listen
  - {{ printf "%s:%d" (ternary "127.0.0.1" "0.0.0.0" (eq .Values.mode "sidecar")) (int .Values.port) | quote }}
  - --clickhouse-user
  - {{ .Values.clickhouse.user | quote }}
  - --secrets-dir
  - /var/run/secrets/clickhouse-backup-plugin
  {{- if .Values.clickhouse.passwordSecret.name }}
  - --clickhouse-password-file
  - /etc/clickhouse-backup-plugin/clickhouse/password
  {{- end }}
  - --log-format
  - {{ .Values.log.format | quote }}
  - --log-level
  - {{ .Values.log.level | quote }}
  {{- if .Values.tls.enabled }}
  - --tls-cert
  - /etc/clickhouse-backup-plugin/tls/tls.crt
  - --tls-key
  - /etc/clickhouse-backup-plugin/tls/tls.key
  {{- if .Values.tls.clientCA.secretName }}
  - --tls-client-ca
  - /etc/clickhouse-backup-plugin/client-ca/ca.crt
  {{- end }}
  {{- end }}
  {{- if eq (include "cbp.healthPortOn" .) "true" }}
  - --health-listen
  - {{ printf "0.0.0.0:%d" (int .Values.healthPort) | quote }}
  {{- end }}
  {{- if .Values.auth.tokenSecret.name }}
  - --auth-token-file
  - /etc/clickhouse-backup-plugin/auth/token
  {{- end }}
  {{- if .Values.metrics.enabled }}
  - --metrics-listen
  - {{ printf "0.0.0.0:%d" (int .Values.metrics.port) | quote }}
  {{- end }}
  {{- if or .Values.notifications.webhookSecret.name .Values.notifications.slackSecret.name }}
  - --notify-on
  - {{ .Values.notifications.when | quote }}
  {{- end }}
  {{- if .Values.notifications.webhookSecret.name }}
  - --notify-webhook-file
  - /etc/clickhouse-backup-plugin/notify/webhook/url
  {{- end }}
  {{- if .Values.notifications.slackSecret.name }}
  - --notify-slack-webhook-file
  - /etc/clickhouse-backup-plugin/notify/slack/url
  {{- end }}
  {{- if eq (include "cbp.policiesOn" .) "true" }}
  - --policy-file
  - /etc/clickhouse-backup-plugin/policies/policies.yaml
  {{- end }}
  {{- range .Values.extraArgs }}
  - {{ . | quote }}
  {{- end }}
ports:
  - name: grpc
    containerPort: {{ .Values.port }}
    protocol: TCP
  {{- if eq (include "cbp.healthPortOn" .) "true" }}
  - name: health
    containerPort: {{ .Values.healthPort }}
    protocol: TCP
  {{- end }}
  {{- if .Values.metrics.enabled }}
  - name: metrics
    containerPort: {{ .Values.metrics.port }}
    protocol: TCP
  {{- end }}
{{- $probePort := ternary .Values.healthPort .Values.port (eq (include "cbp.healthPortOn" .) "true") }}
startupProbe:
  grpc: {port: {{ $probePort }}}
  periodSeconds: 2
  failureThreshold: 30
livenessProbe:
  grpc: {port: {{ $probePort }}}
  periodSeconds: 10
readinessProbe:
  grpc: {port: {{ $probePort }}}
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
  - name: {{ include "cbp.s3SecretVolume" . }}
    mountPath: {{ printf "/var/run/secrets/clickhouse-backup-plugin/%s" (include "cbp.s3SecretDir" .) }}
    readOnly: true
  {{- end }}
  {{- if eq (include "cbp.policiesOn" .) "true" }}
  - name: policies
    mountPath: /etc/clickhouse-backup-plugin/policies
    readOnly: true
  {{- end }}
  {{- /* whole-Secret mounts (no subPath): Kubernetes updates them in place, the plugin reloads */}}
  {{- if .Values.tls.enabled }}
  - name: tls
    mountPath: /etc/clickhouse-backup-plugin/tls
    readOnly: true
  {{- if .Values.tls.clientCA.secretName }}
  - name: client-ca
    mountPath: /etc/clickhouse-backup-plugin/client-ca
    readOnly: true
  {{- end }}
  {{- end }}
  {{- if .Values.auth.tokenSecret.name }}
  - name: auth-token
    mountPath: /etc/clickhouse-backup-plugin/auth
    readOnly: true
  {{- end }}
  {{- if .Values.notifications.webhookSecret.name }}
  - name: notify-webhook
    mountPath: /etc/clickhouse-backup-plugin/notify/webhook
    readOnly: true
  {{- end }}
  {{- if .Values.notifications.slackSecret.name }}
  - name: notify-slack
    mountPath: /etc/clickhouse-backup-plugin/notify/slack
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
- name: {{ include "cbp.s3SecretVolume" . }}
  secret: {secretName: {{ include "cbp.s3SecretName" . }}}
{{- end }}
{{- if eq (include "cbp.policiesOn" .) "true" }}
- name: policies
  configMap:
    name: {{ default (printf "%s-policies" (include "cbp.fullname" .)) .Values.policies.existingConfigMap }}
    items: [{key: policies.yaml, path: policies.yaml}]
{{- end }}
{{- if .Values.tls.enabled }}
- name: tls
  secret:
    secretName: {{ required "tls.secretName is required with tls.enabled" .Values.tls.secretName }}
    items: [{key: tls.crt, path: tls.crt}, {key: tls.key, path: tls.key}]
{{- if .Values.tls.clientCA.secretName }}
- name: client-ca
  secret:
    secretName: {{ .Values.tls.clientCA.secretName }}
    items: [{key: {{ .Values.tls.clientCA.key }}, path: ca.crt}]
{{- end }}
{{- end }}
{{- if .Values.auth.tokenSecret.name }}
- name: auth-token
  secret:
    secretName: {{ .Values.auth.tokenSecret.name }}
    items: [{key: {{ .Values.auth.tokenSecret.key }}, path: token}]
{{- end }}
{{- if .Values.notifications.webhookSecret.name }}
- name: notify-webhook
  secret:
    secretName: {{ .Values.notifications.webhookSecret.name }}
    items: [{key: {{ .Values.notifications.webhookSecret.key }}, path: url}]
{{- end }}
{{- if .Values.notifications.slackSecret.name }}
- name: notify-slack
  secret:
    secretName: {{ .Values.notifications.slackSecret.name }}
    items: [{key: {{ .Values.notifications.slackSecret.key }}, path: url}]
{{- end }}
- name: tmp
  emptyDir: {sizeLimit: 16Mi}
{{- end -}}
