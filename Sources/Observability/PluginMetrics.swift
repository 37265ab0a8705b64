import BackupService
import Prometheus
import RPCRuntime

/// The plugin's Prometheus metrics: gRPC calls (the names go-grpc-prometheus made the norm,
/// so existing dashboards work), backup and restore runs, bytes, the last success per CHI,
/// TLS reloads. Label values are method names, status names, operations and CHI names:
/// bounded, and never a secret.
public final class PluginMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let running: @Sendable () -> [String: Int]

    /// Seconds: health checks take microseconds, a restore can take hours.
    private static let callBuckets: [Duration] = [0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10, 60, 300, 1800, 7200, 21600]
        .map { .milliseconds(Int64($0 * 1000)) }
    private static let runBuckets: [Duration] = [1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 21600, 86400].map { .seconds($0) }

    /// - Parameters:
    ///   - version: the plugin's version, for `clickhouse_backup_plugin_build_info`.
    ///   - running: runs going on now by operation (read at every scrape).
    public init(version: String, running: @escaping @Sendable () -> [String: Int] = { [:] }) {
        self.running = running
        registry.makeGauge(descriptor: Self.name("build_info", "", "Always 1; the version is a label."),
                           labels: [("version", version)]).set(Double(1))
    }

    private static func name(_ metric: String, _ unit: String, _ help: String, plugin: Bool = true) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: plugin ? "clickhouse_backup_plugin" : nil, metricName: metric, unitName: unit, helpText: help)
    }

    /// Counts a finished gRPC call and its duration.
    public func record(_ call: CallRecord) {
        let labels = [("grpc_service", call.service), ("grpc_method", call.methodName)]
        registry.makeCounter(descriptor: Self.name("grpc_server_handled", "total", "Calls finished, by method and status code.", plugin: false),
                             labels: labels + [("grpc_code", call.code.description)]).increment()
        registry.makeDurationHistogram(descriptor: Self.name("grpc_server_handling", "seconds", "Time from a call's arrival to its status.", plugin: false),
                                       labels: labels, buckets: Self.callBuckets).record(call.duration)
    }

    /// Counts a finished backup or restore run: by result, its duration, bytes, last success.
    public func record(_ outcome: OperationOutcome) {
        let operation = ("operation", outcome.operation)
        let result = outcome.succeeded ? "completed" : "failed"
        registry.makeCounter(descriptor: Self.name("operations", "total", "Backup and restore runs finished, by result and status code."),
                             labels: [operation, ("result", result), ("code", outcome.failure?.code ?? "OK")]).increment()
        registry.makeDurationHistogram(descriptor: Self.name("operation_duration", "seconds", "Wall time of backup and restore runs."),
                                       labels: [operation, ("result", result)], buckets: Self.runBuckets).record(outcome.duration)
        guard outcome.succeeded else { return }
        registry.makeGauge(descriptor: Self.name("last_success", "timestamp_seconds", "Unix time the last run of this operation for this CHI completed."),
                           labels: [operation, ("chi", outcome.chi)]).set(Double(outcome.finishedAt))
        guard let bytes = outcome.bytes, !outcome.reused else { return }
        registry.makeCounter(descriptor: Self.name("operation", "bytes_total", "Bytes ClickHouse reported for completed runs (total_size)."),
                             labels: [operation]).increment(by: bytes)
        registry.makeGauge(descriptor: Self.name("last_size", "bytes", "Bytes of the last completed run of this operation for this CHI."),
                           labels: [operation, ("chi", outcome.chi)]).set(Double(bytes))
    }

    /// Counts a TLS certificate reload, successful or not.
    public func recordCertificateReload(succeeded: Bool) {
        registry.makeCounter(descriptor: Self.name("tls_reloads", "total", "TLS certificate changes seen, by result."),
                             labels: [("result", succeeded ? "loaded" : "failed")]).increment()
    }

    /// Counts a notification's end: delivered, or failed after its last try.
    public func recordNotification(target: String, delivered: Bool) {
        registry.makeCounter(descriptor: Self.name("notifications", "total", "Webhook and Slack notifications, by receiver kind and result."),
                             labels: [("target", target), ("result", delivered ? "delivered" : "failed")]).increment()
    }

    /// The metrics in the Prometheus text format (version 0.0.4).
    public func exposition() -> [UInt8] {
        let now = running()
        for operation in ["backup", "restore"] {
            registry.makeGauge(descriptor: Self.name("operations_running", "", "Backup and restore runs going on now."),
                               labels: [("operation", operation)]).set(Double(now[operation] ?? 0))
        }
        return registry.emitToBuffer()
    }
}
