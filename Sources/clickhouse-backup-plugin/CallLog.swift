import Logging
import Observability
import RPCRuntime
import PluginSupport

/// What the server reports outside calls' answers, turned into log lines and metrics.
enum CallLog {
    static func record(_ event: ServerEvent, metrics: PluginMetrics, logger: Logger) {
        switch event {
        case .callEnded(let call):
            metrics.record(call)
            // Probes call health every few seconds: those lines only at debug level, and no
            // line is built below the logger's level.
            let quiet = call.code == .ok && call.method.hasPrefix("/grpc.health.v1.Health/")
            guard !quiet || logger.logLevel <= .debug else { return }
            var fields = call.annotations
            fields["method"] = call.method
            fields["code"] = call.code.description
            fields["duration_ms"] = String(call.duration.wholeMilliseconds)
            fields["peer"] = call.peer
            if let identity = call.peerIdentity { fields["peer_identity"] = identity }
            if call.code != .ok { fields["error"] = call.message }
            if quiet {
                logger.debug("call", fields)
            } else if [.internal, .unknown, .dataLoss].contains(call.code) {
                logger.error("call", fields)
            } else {
                logger.info("call", fields)
            }
        case .certificatesReloaded:
            metrics.recordCertificateReload(succeeded: true)
            logger.info("tls certificate reloaded", [:])
        case .shutdownLeftCalls(let calls):
            logger.error("shutdown stopped waiting for calls still held after the grace period", ["calls": calls.joined(separator: ",")])
        case .certificateReloadFailed(let reason):
            metrics.recordCertificateReload(succeeded: false)
            logger.error("tls certificate reload failed; the previous certificate stays", ["error": reason])
        }
    }
}
