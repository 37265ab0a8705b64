/// How a ``Server`` listens and what it accepts.
public struct ServerConfiguration: Sendable {
    /// `HOST:PORT` to listen on; port 0 picks a free port (see ``Server/start()``).
    public var address: String
    /// Largest request message accepted, in bytes (the core answers RESOURCE_EXHAUSTED).
    public var maxReceiveMessageBytes: Int
    /// Largest response message sent, in bytes.
    public var maxSendMessageBytes: Int
    /// How many `request_call`s are kept outstanding: calls accepted without waiting.
    public var pendingCallRequests: Int
    /// TLS (and mutual TLS) on the port; nil serves plaintext.
    public var tls: ServerTLS?
    /// Runs before every call's handler: a non-nil error is the call's answer and the handler
    /// never runs (e.g. ``BearerTokenAuthenticator/check(_:)``).
    public var authenticate: (@Sendable (ServerContext) -> RPCError?)?
    /// Receives calls' ends and certificate reloads, on whichever thread saw them: keep it short.
    public var onEvent: (@Sendable (ServerEvent) -> Void)?
    /// Turns what a handler throws into the call's status: the application's error map
    /// (default ``RPCError/from(_:)``, which knows only the runtime's own errors).
    public var mapError: @Sendable (any Error) -> RPCError = { RPCError.from($0) }

    /// Creates a configuration.
    /// - Parameters:
    ///   - address: `HOST:PORT`, e.g. `0.0.0.0:50051`.
    ///   - maxReceiveMessageBytes: request size limit (default 16 MiB: CHI JSON can be large).
    ///   - maxSendMessageBytes: response size limit (default 16 MiB).
    ///   - pendingCallRequests: outstanding call requests (default 16).
    ///   - tls: TLS files, or nil for plaintext.
    ///   - authenticate: a check every call passes before its handler runs.
    ///   - onEvent: where call ends and certificate reloads are reported.
    public init(address: String, maxReceiveMessageBytes: Int = 16 << 20,
                maxSendMessageBytes: Int = 16 << 20, pendingCallRequests: Int = 16,
                tls: ServerTLS? = nil, authenticate: (@Sendable (ServerContext) -> RPCError?)? = nil,
                onEvent: (@Sendable (ServerEvent) -> Void)? = nil) {
        self.address = address
        self.maxReceiveMessageBytes = maxReceiveMessageBytes
        self.maxSendMessageBytes = maxSendMessageBytes
        self.pendingCallRequests = pendingCallRequests
        self.tls = tls
        self.authenticate = authenticate
        self.onEvent = onEvent
    }
}
