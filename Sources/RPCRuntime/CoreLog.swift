import CGRPC
import PluginSupport

/// The gRPC core's own log lines (handshake failures, transport errors), which it would
/// otherwise print to stderr in a format of its own: redirected so they go through the
/// process's log, as logfmt or JSON like every other line.
public enum CoreLog {
    /// The core's severities.
    public enum Severity: Sendable { case debug, info, error }

    private static let sink = LockedState<(@Sendable (Severity, String) -> Void)?>(nil)

    /// Sends every core log line to `handler` from now on (call before the server starts; the
    /// handler runs on core threads, so it must be quick and thread-safe).
    public static func redirect(_ handler: @escaping @Sendable (Severity, String) -> Void) {
        sink.withLock { $0 = handler }
        gpr_set_log_function { args in
            guard let args, let message = args.pointee.message else { return }
            let severity: Severity = switch args.pointee.severity {
            case GPR_LOG_SEVERITY_ERROR: .error
            case GPR_LOG_SEVERITY_INFO: .info
            default: .debug
            }
            let text = String(cString: message)
            CoreLog.sink.withLock { $0 }?(severity, text)
        }
    }
}
