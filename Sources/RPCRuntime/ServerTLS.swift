/// TLS on the server's port: a certificate chain and key, and optionally the CA that client
/// certificates must chain to (mutual TLS).
///
/// The files are read again whenever one of them changes (size, modification time or inode,
/// so a Kubernetes Secret's symlink swap counts): the next TLS handshake uses the new
/// certificate, connections already open keep theirs. A change that cannot be read (a file
/// half written, a key missing) keeps the previous certificate and is reported through
/// ``ServerConfiguration/onEvent``.
public struct ServerTLS: Sendable {
    /// PEM certificate chain served to clients (leaf first).
    public var certificateChainFile: String
    /// PEM private key of the leaf certificate.
    public var privateKeyFile: String
    /// PEM CA bundle client certificates must chain to. When set, a client without a
    /// certificate, or with one from another CA, is refused during the handshake.
    public var clientCAFile: String?

    /// Creates a TLS configuration.
    /// - Parameters:
    ///   - certificateChainFile: the server's PEM certificate chain.
    ///   - privateKeyFile: its PEM private key.
    ///   - clientCAFile: a PEM CA bundle to require and verify client certificates with.
    public init(certificateChainFile: String, privateKeyFile: String, clientCAFile: String? = nil) {
        self.certificateChainFile = certificateChainFile
        self.privateKeyFile = privateKeyFile
        self.clientCAFile = clientCAFile
    }
}

/// Something the server reports outside a call's own answer.
public enum ServerEvent: Sendable {
    /// A call ended (after its status was handed to the core).
    case callEnded(CallRecord)
    /// The TLS files changed and the new certificate is served from the next handshake on.
    case certificatesReloaded
    /// The TLS files changed but cannot be used; the previous certificate is kept.
    case certificateReloadFailed(String)
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

    /// Creates a record (the runtime does; tests may too).
    public init(method: String, code: StatusCode, message: String, duration: Duration, peer: String,
                peerIdentity: String?, annotations: [String: String], routed: Bool = true) {
        (self.method, self.code, self.message, self.duration) = (method, code, message, duration)
        (self.peer, self.peerIdentity, self.annotations, self.routed) = (peer, peerIdentity, annotations, routed)
    }

    /// The service part of ``method``, e.g. `altinity.backup.v1.Backup`.
    public var service: String { Self.split(method).service }
    /// The method part of ``method``, e.g. `Backup`.
    public var methodName: String { Self.split(method).method }

    static func split(_ path: String) -> (service: String, method: String) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count == 2 else { return ("unknown", path) }
        return (String(parts[0]), String(parts[1]))
    }
}
