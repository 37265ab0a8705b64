import PluginSupport
/// What a handler knows about its call besides the request message. A class: it travels
/// into the handler, the call and its record, and a reference costs one count where a copy
/// of six fields cost six.
public final class ServerContext: Sendable {
    /// The full method path, e.g. `/altinity.backup.v1.Backup/Backup`.
    public let method: String
    /// The client's request metadata.
    public let metadata: Metadata
    /// The client's deadline on the monotonic clock, or nil when it set none.
    /// The runtime cancels the handler's task when it passes.
    public let deadline: ContinuousClock.Instant?
    /// The client's address as the core reports it, e.g. `ipv4:127.0.0.1:51234`.
    public let peer: String
    /// The client certificate's identity (its SAN or CN) under mutual TLS, else nil.
    public let peerIdentity: String?
    /// Facts the handler notes for the call's log line and metrics (CHI, backup, operation id).
    public let annotations: CallAnnotations

    /// Creates a context (the runtime does; tests may too).
    public init(method: String, metadata: Metadata = Metadata(), deadline: ContinuousClock.Instant? = nil, peer: String = "",
                peerIdentity: String? = nil, annotations: CallAnnotations = CallAnnotations()) {
        self.method = method
        self.metadata = metadata
        self.deadline = deadline
        self.peer = peer
        self.peerIdentity = peerIdentity
        self.annotations = annotations
    }

    /// Time left before the deadline, or nil when there is none.
    public var timeRemaining: Duration? {
        deadline.map { ContinuousClock.now.duration(to: $0) }
    }
}

/// Key/value notes a handler attaches to its call; the runtime hands them to
/// ``ServerEvent/callEnded(_:)``. Never put a secret here: they end up in logs.
public final class CallAnnotations: Sendable {
    private let values = LockedState<[String: String]>([:])

    public init() {}

    /// Sets (or, with nil, removes) one note.
    public subscript(key: String) -> String? {
        get { values.withLock { $0[key] } }
        set { values.withLock { $0[key] = newValue } }
    }

    /// Every note.
    public var all: [String: String] { values.withLock { $0 } }
}
