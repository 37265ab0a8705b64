/// Something the server reports outside a call's own answer.
public enum ServerEvent: Sendable {
    /// A call ended (after its status was handed to the core).
    case callEnded(CallRecord)
    /// The TLS files changed and the new certificate is served from the next handshake on.
    case certificatesReloaded
    /// The TLS files changed but cannot be used; the previous certificate is kept.
    case certificateReloadFailed(String)
    /// Shutdown gave up waiting for these calls (`method xN`) after the grace period: their
    /// handlers neither returned nor let go; the server is left to the process's exit.
    case shutdownLeftCalls([String])
}

/// One finished call, for logs and metrics.
public struct CallRecord: Sendable {
    /// Full method path, e.g. `/altinity.backup.v1.Backup/Backup`.
    public let method: String
    /// The status the call ended with.
    public let code: StatusCode
    /// The status message (already free of secrets: handlers never put them there).
    public let message: String
    /// From the call's arrival to its status.
    public let duration: Duration
    /// The client's address.
    public let peer: String
    /// The client certificate's identity (mutual TLS), if any.
    public let peerIdentity: String?
    /// What the handler noted about the call (CHI, backup name, operation id).
    public let annotations: [String: String]
    /// False when no service serves ``method``: metrics then file it under `unknown`, so
    /// callers cannot mint series by inventing method names.
    public let routed: Bool
    /// The method's route, unique in the process (0: none, or a record made by hand): what
    /// per-method state is keyed by, instead of hashing ``method`` at every call.
    public let route: Int

    /// The service part of ``method``, e.g. `altinity.backup.v1.Backup` (split when asked:
    /// most calls never need it).
    public var service: String { Self.split(method).service }
    /// The method part of ``method``, e.g. `Backup`.
    public var methodName: String { Self.split(method).method }

    /// Creates a record (the runtime does; tests may too).
    public init(method: String, code: StatusCode, message: String, duration: Duration, peer: String,
                peerIdentity: String?, annotations: [String: String], routed: Bool = true, route: Int = 0) {
        (self.method, self.code, self.message, self.duration) = (method, code, message, duration)
        (self.peer, self.peerIdentity, self.annotations, self.routed, self.route) = (peer, peerIdentity, annotations, routed, route)
    }

    /// `/service/method` → (service, method), scanning bytes once (a character-wise `split`
    /// was a quarter of a health check's instructions when every reader split again).
    static func split(_ path: String) -> (service: String, method: String) {
        let bytes = Array(path.utf8)
        guard bytes.first == UInt8(ascii: "/"), let slash = bytes.dropFirst().firstIndex(of: UInt8(ascii: "/")),
              slash > 1, slash < bytes.count - 1, !bytes[(slash + 1)...].contains(UInt8(ascii: "/")) else { return ("unknown", path) }
        return (String(decoding: bytes[1..<slash], as: UTF8.self), String(decoding: bytes[(slash + 1)...], as: UTF8.self))
    }
}
