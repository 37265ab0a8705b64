
import BackupDomain
import CoreMetrics
import Prometheus
import RPCRuntime
import PluginSupport

/// The plugin's metrics, recorded through swift-metrics (so another backend, such as
/// swift-otel, can take them) into a Prometheus registry that ``exposition()`` renders.
///
/// Calls use OpenTelemetry's RPC convention: one `rpc.server.duration` histogram whose
/// dimensions are the service, the method and the gRPC status code, so its `_count` series is
/// "calls by method and code". Names reach Prometheus with dots as underscores and the
/// histogram's unit as a suffix (`rpc_server_duration_seconds`). Label values are service,
/// method, status, operation and CHI names: bounded, and never a secret.
public final class PluginMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let running: @Sendable () -> [String: Int]
    /// One timer per (service, method, code), made on first use: building a swift-metrics
    /// handle goes through the factory's registry and label sanitizer, too dear for every call.
    /// Calls of a registered method find theirs by route and code, two array indexes; the
    /// others (unrouted, or records made by hand) by their labels.
    private let callTimers = LockedState(CallTimers())

    private struct CallTimers {
        var byRoute: [[Timer?]] = []
        var byLabels: [CallKey: Timer] = [:]
    }

    private struct CallKey: Hashable {
        let service: String
        let method: String
        let code: Int
    }

    static let rpcDuration = "rpc.server.duration"
    static let operationDuration = "clickhouse_backup_plugin.operation.duration"

    /// - Parameters:
    ///   - version: the plugin's version, for `clickhouse_backup_plugin_build_info`.
    ///   - running: runs going on now by operation (read at every scrape).
    public init(version: String, running: @escaping @Sendable () -> [String: Int] = { [:] }) {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = { name, labels in
            let durations = [Self.rpcDuration, Self.operationDuration]
            let prometheusName = name.replacingDots + (durations.contains(name) ? "_seconds" : "")
            return (prometheusName, labels.map { ($0.0.replacingDots, $0.1) })
        }
        // Health checks take microseconds, a restore can take hours.
        factory.durationHistogramBuckets = [
            "rpc_server_duration_seconds": [0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10, 60, 300, 1800, 7200, 21600]
                .map { .milliseconds(Int64($0 * 1000)) },
            "clickhouse_backup_plugin_operation_duration_seconds": [1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 21600, 86400]
                .map { .seconds($0) },
        ]
        self.factory = factory
        self.running = running
        Gauge(label: "clickhouse_backup_plugin.build_info", dimensions: [("version", version)], factory: factory).record(1)
    }

    /// Records a finished gRPC call: its duration, by service, method and status code.
    public func record(_ call: CallRecord) {
        let code = Int(call.code.rawValue)
        let timer = callTimers.withLock { timers -> Timer in
            guard call.routed, call.route > 0, (0..<32).contains(code) else {
                let key = CallKey(service: call.routed ? call.service : "unknown", method: call.routed ? call.methodName : "unknown", code: code)
                if let timer = timers.byLabels[key] { return timer }
                let timer = makeTimer(service: key.service, method: key.method, code: code)
                timers.byLabels[key] = timer
                return timer
            }
            while timers.byRoute.count <= call.route { timers.byRoute.append(Array(repeating: nil, count: 32)) }
            if let timer = timers.byRoute[call.route][code] { return timer }
            let timer = makeTimer(service: call.service, method: call.methodName, code: code)
            timers.byRoute[call.route][code] = timer
            return timer
        }
        timer.recordNanoseconds(call.duration.wholeNanoseconds)
    }

    private func makeTimer(service: String, method: String, code: Int) -> Timer {
        Timer(label: Self.rpcDuration,
              dimensions: [("rpc.system", "grpc"), ("rpc.service", service), ("rpc.method", method), ("rpc.grpc.status_code", String(code))],
              factory: factory)
    }

    /// Records a finished backup or restore run: by result, its duration, bytes, last success.
    public func record(_ outcome: OperationOutcome) {
        let operation = ("operation", outcome.operation)
        let result = outcome.state
        Counter(label: "clickhouse_backup_plugin.operations_total",
                dimensions: [operation, ("result", result), ("code", outcome.failure?.code ?? "OK")], factory: factory).increment()
        Timer(label: Self.operationDuration, dimensions: [operation, ("result", result)], factory: factory)
            .recordNanoseconds(outcome.duration.wholeNanoseconds)
        guard outcome.succeeded else { return }
        let chi = [operation, ("chi", outcome.chi)]
        Gauge(label: "clickhouse_backup_plugin.last_success_timestamp_seconds", dimensions: chi, factory: factory)
            .record(Double(outcome.finishedAt))
        guard let bytes = outcome.bytes, !outcome.reused else { return }
        Counter(label: "clickhouse_backup_plugin.operation_bytes_total", dimensions: [operation], factory: factory).increment(by: bytes)
        Gauge(label: "clickhouse_backup_plugin.last_size_bytes", dimensions: chi, factory: factory).record(Double(bytes))
    }

    /// Counts a TLS certificate reload, successful or not.
    public func recordCertificateReload(succeeded: Bool) {
        Counter(label: "clickhouse_backup_plugin.tls_reloads_total", dimensions: [("result", succeeded ? "loaded" : "failed")],
                factory: factory).increment()
    }

    /// Counts a notification's end: delivered, or failed after its last try.
    public func recordNotification(target: String, delivered: Bool) {
        Counter(label: "clickhouse_backup_plugin.notifications_total",
                dimensions: [("target", target), ("result", delivered ? "delivered" : "failed")], factory: factory).increment()
    }

    /// The metrics in the Prometheus text format (version 0.0.4).
    public func exposition() -> [UInt8] {
        let now = running()
        for operation in ["backup", "restore"] {
            Gauge(label: "clickhouse_backup_plugin.operations_running", dimensions: [("operation", operation)], factory: factory)
                .record(Double(now[operation] ?? 0))
        }
        return registry.emitToBuffer()
    }
}

private extension String {
    var replacingDots: String { String(map { $0 == "." ? "_" : $0 }) }
}
