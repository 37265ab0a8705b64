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

    /// Creates a configuration.
    /// - Parameters:
    ///   - address: `HOST:PORT`, e.g. `0.0.0.0:50051`.
    ///   - maxReceiveMessageBytes: request size limit (default 16 MiB: CHI JSON can be large).
    ///   - maxSendMessageBytes: response size limit (default 16 MiB).
    ///   - pendingCallRequests: outstanding call requests (default 16).
    public init(address: String, maxReceiveMessageBytes: Int = 16 << 20,
                maxSendMessageBytes: Int = 16 << 20, pendingCallRequests: Int = 16) {
        self.address = address
        self.maxReceiveMessageBytes = maxReceiveMessageBytes
        self.maxSendMessageBytes = maxSendMessageBytes
        self.pendingCallRequests = pendingCallRequests
    }
}
