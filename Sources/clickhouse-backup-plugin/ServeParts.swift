import BackupService
import Logging
import Observability
import PluginSupport
import RPCRuntime

/// One part of `serve`: something that starts (and may say where it listens) and stops.
/// `ServeCommand` lists them in the order they start and, separately, in the order they stop.
protocol ServePart: Sendable {
    var name: String { get }
    /// Starts it. - Returns: fields for the `listening` line (e.g. its address).
    func start() throws -> [String: String]
    func stop() async
}

/// The gRPC server (the main port, or the health-only port): its shutdown takes the grace
/// period, cancels what is left and waits for every call to end.
struct GRPCServerPart: ServePart {
    let name: String
    let server: Server
    let address: ListenAddress
    /// The `listening` line's key for this server's address.
    let field: String
    let grace: Duration

    func start() throws -> [String: String] { [field: address.withPort(try server.start())] }
    func stop() async { await server.shutdown(grace: grace) }
}

/// The Prometheus port. Stopped last, so a scrape during shutdown still answers.
struct MetricsPart: ServePart {
    let name = "metrics"
    let server: MetricsHTTPServer
    let address: ListenAddress

    func start() throws -> [String: String] {
        try server.start()
        return ["metrics_address": address.withPort(server.port)]
    }

    func stop() async { server.stop() }
}

/// Every health status: serving from the start, NOT_SERVING first thing at shutdown (probes
/// and load balancers stop sending before the server drains), watchers ended.
struct HealthPart: ServePart {
    let name = "health status"
    let health: HealthStatus

    func start() throws -> [String: String] { [:] }
    func stop() async {
        health.setAll(.notServing)
        health.finishWatchers()
    }
}

/// Work still under way after the calls that started it ended (a backup's deferred writes,
/// notifications), waited for at shutdown within its bound.
struct DrainPart: ServePart {
    let name: String
    let drain: @Sendable () async -> Void

    func start() throws -> [String: String] { [:] }
    func stop() async { await drain() }
}

/// Starts `parts` in order; when one fails, stops those already started (in reverse) and
/// rethrows. - Returns: the `listening` line's fields from every part.
func startAll(_ parts: [any ServePart], logger: Logger) async throws -> [String: String] {
    var started: [any ServePart] = [], fields: [String: String] = [:]
    for part in parts {
        do {
            fields.merge(try part.start(), uniquingKeysWith: { _, new in new })
            started.append(part)
        } catch {
            logger.error("cannot start", ["part": part.name, "error": ErrorMap.rpcError(error).message])
            for running in started.reversed() { await running.stop() }
            throw error
        }
    }
    return fields
}
