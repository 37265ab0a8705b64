/// What a handler knows about its call besides the request message.
public struct ServerContext: Sendable {
    /// The full method path, e.g. `/altinity.backup.v1.Backup/Backup`.
    public let method: String
    /// The client's request metadata.
    public let metadata: Metadata
    /// The client's deadline on the monotonic clock, or nil when it set none.
    /// The runtime cancels the handler's task when it passes.
    public let deadline: ContinuousClock.Instant?
    /// The client's address as the core reports it, e.g. `ipv4:127.0.0.1:51234`.
    public let peer: String

    /// Creates a context (the runtime does; tests may too).
    public init(method: String, metadata: Metadata = Metadata(), deadline: ContinuousClock.Instant? = nil, peer: String = "") {
        self.method = method
        self.metadata = metadata
        self.deadline = deadline
        self.peer = peer
    }

    /// Time left before the deadline, or nil when there is none.
    public var timeRemaining: Duration? {
        deadline.map { ContinuousClock.now.duration(to: $0) }
    }
}
