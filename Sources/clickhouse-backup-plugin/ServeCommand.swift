import ArgumentParser
import BackupClients
import BackupDomain
import BackupService
#if canImport(FoundationEssentials)
import FoundationEssentials  // not Foundation: it brings ICU and ~10 MB of resident pages
#else
import Foundation
#endif
import HTTPTransport
import Logging
import Observability
import RPCRuntime

/// `serve`: runs the gRPC server until SIGTERM or SIGINT, as a list of parts (`ServeParts`)
/// with a written start order and stop order (see `run`).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the plugin's gRPC services until SIGTERM/SIGINT."
    )

    @Option(help: "HOST:PORT to listen on; port 0 picks a free one (env: CLICKHOUSE_BACKUP_PLUGIN_LISTEN).")
    var listen: String = Environment.string("LISTEN", default: "0.0.0.0:50051")

    @Option(name: .customLong("shutdown-grace"),
            help: "Seconds running calls may finish after SIGTERM before they are cancelled (env: CLICKHOUSE_BACKUP_PLUGIN_SHUTDOWN_GRACE).")
    var shutdownGrace: Int = Environment.integer("SHUTDOWN_GRACE", default: 30)

    @Option(name: .customLong("max-message-bytes"),
            help: "Largest request or response message in bytes (env: CLICKHOUSE_BACKUP_PLUGIN_MAX_MESSAGE_BYTES).")
    var maxMessageBytes: Int = Environment.integer("MAX_MESSAGE_BYTES", default: 16 << 20)

    @OptionGroup var security: ServerSecurityOptions

    @Option(name: .customLong("metrics-listen"),
            help: "HOST:PORT for Prometheus metrics at /metrics over plain HTTP; off when empty (env: CLICKHOUSE_BACKUP_PLUGIN_METRICS_LISTEN).")
    var metricsListen: String = Environment.string("METRICS_LISTEN", default: "")

    @Option(name: .customLong("health-listen"),
            help: "HOST:PORT for a plaintext port serving only grpc.health.v1, for Kubernetes gRPC probes (which cannot speak TLS); off when empty (env: CLICKHOUSE_BACKUP_PLUGIN_HEALTH_LISTEN).")
    var healthListen: String = Environment.string("HEALTH_LISTEN", default: "")

    @OptionGroup var execution: ExecutionOptions

    func validate() throws {
        guard ListenAddress(listen) != nil else {
            throw ValidationError("--listen must be HOST:PORT (e.g. 0.0.0.0:50051 or [::]:50051), not '\(listen)'")
        }
        guard metricsListen.isEmpty || ListenAddress(metricsListen) != nil else {
            throw ValidationError("--metrics-listen must be HOST:PORT (e.g. 0.0.0.0:9464), not '\(metricsListen)'")
        }
        guard healthListen.isEmpty || ListenAddress(healthListen) != nil else {
            throw ValidationError("--health-listen must be HOST:PORT (e.g. 0.0.0.0:50052), not '\(healthListen)'")
        }
        guard shutdownGrace >= 0 else { throw ValidationError("--shutdown-grace must be 0 or more seconds") }
        guard (1024...(1 << 30)).contains(maxMessageBytes) else {
            throw ValidationError("--max-message-bytes must be between 1024 and 1073741824")
        }
    }

    func run() async throws {
        let logger = execution.makeLogger()
        let registry = OperationRegistry()
        let metrics = PluginMetrics(version: PluginInfo.version, running: { registry.runningCounts() })
        let (environment, notifier) = try execution.environment(logger: logger, metrics: metrics)
        let services = PluginServices(backup: BackupServiceProvider(environment: environment, registry: registry),
                                      catalog: CatalogServiceProvider(environment: environment))
        var configuration = ServerConfiguration(address: listen, maxReceiveMessageBytes: maxMessageBytes, maxSendMessageBytes: maxMessageBytes)
        try security.apply(to: &configuration, logger: logger)
        configuration.onEvent = { event in CallLog.record(event, metrics: metrics, logger: logger) }
        configuration.mapError = ErrorMap.rpcError
        CoreLog.redirect { severity, message in
            switch severity {
            case .error: logger.error("grpc core", ["detail": message])
            case .info: logger.info("grpc core", ["detail": message])
            case .debug: logger.debug("grpc core", ["detail": message])
            }
        }
        let grace = Duration.seconds(shutdownGrace)
        let main = GRPCServerPart(name: "grpc", server: Server(configuration: configuration, services: services.definitions),
                                  address: ListenAddress(listen)!, field: "address", grace: grace)
        // The probes' port: the same health status, plaintext, nothing else served on it.
        let healthPort = healthListen.isEmpty ? nil : GRPCServerPart(
            name: "health port",
            server: Server(configuration: ServerConfiguration(address: healthListen, onEvent: configuration.onEvent),
                           services: [HealthServiceProvider(health: services.health).definition]),
            address: ListenAddress(healthListen)!, field: "health_address", grace: .zero)
        let metricsPart = try metricsPart(metrics, logger: logger)
        let health = HealthPart(health: services.health)
        // Runs that ended during the grace period may still be telling their webhooks.
        let drain = notifier.map { notifier in
            let timeout = min(execution.notifications.drainTimeout, .seconds(max(shutdownGrace, 1)))
            return DrainPart(name: "notifications") { await notifier.drain(timeout: timeout) }
        }
        // Backups that completed during the grace period may still be updating their index.
        let deferred = DrainPart(name: "deferred writes") { [writes = environment.deferredWrites, shutdownGrace] in
            await writes.drain(timeout: .seconds(max(shutdownGrace, 1)))
        }
        // Start order: metrics first (it answers while the rest comes up), the main port, the health port.
        let startOrder: [(any ServePart)?] = [metricsPart, main, healthPort]
        // Stop order: health NOT_SERVING, the main server (grace, cancel, drain), the health
        // port, backups' deferred writes and notifications still under way, the metrics port
        // (a scrape during shutdown still answers).
        let stopOrder: [(any ServePart)?] = [health, main, healthPort, deferred, drain, metricsPart]
        var fields: [String: String]
        do { fields = try await startAll(startOrder.compactMap { $0 }, logger: logger) } catch { throw ExitCode(1) }
        fields.merge(["version": PluginInfo.version, "tls": security.mode, "auth": security.authMode], uniquingKeysWith: { _, new in new })
        logger.info("listening", fields)
        let signal = await ProcessSignals.wait()
        logger.info("stopping", ["signal": "\(signal)", "grace_seconds": "\(shutdownGrace)"])
        for part in stopOrder.compactMap({ $0 }) { await part.stop() }
        logger.info("stopped", [:])
    }

    /// The metrics port, when `--metrics-listen` asks for one.
    private func metricsPart(_ metrics: PluginMetrics, logger: Logger) throws -> MetricsPart? {
        guard !metricsListen.isEmpty else { return nil }
        do {
            let server = try MetricsHTTPServer(address: metricsListen) { path in
                path == "/metrics" ? (200, "text/plain; version=0.0.4; charset=utf-8", metrics.exposition())
                                   : (404, "text/plain", Array("not found; metrics are at /metrics\n".utf8))
            }
            return MetricsPart(server: server, address: ListenAddress(metricsListen)!)
        } catch {
            logger.error("cannot start the metrics port", ["address": metricsListen, "error": ErrorMap.rpcError(error).message])
            throw ExitCode(1)
        }
    }
}

/// `HOST:PORT`, with IPv6 hosts in brackets.
struct ListenAddress {
    let host: String
    let port: Int

    init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        let host = String(text[..<colon])
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        if host.hasPrefix("[") != host.hasSuffix("]") { return nil }
        self.host = host
        self.port = port
    }

    func withPort(_ port: Int) -> String { "\(host):\(port)" }
}
