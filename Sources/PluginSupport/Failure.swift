/// What kind of failure an error is, in words every layer shares: the transport and the
/// clients say what went wrong in their own terms and classify it here; the service module
/// maps each kind to a gRPC status in one place (`ErrorMap`). No layer below the service
/// knows gRPC.
public enum FailureKind: String, Sendable, CaseIterable {
    /// The caller's input is wrong (INVALID_ARGUMENT).
    case invalid
    /// The world is not in a state that allows it (FAILED_PRECONDITION): fix something, then retry.
    case refused
    case notFound
    case alreadyExists
    /// The peer refused these credentials or grants (PERMISSION_DENIED).
    case permission
    case unauthenticated
    /// A fault worth retrying as it is (UNAVAILABLE): a peer down, a timeout on the way.
    case unavailable
    case deadline
    case cancelled
    /// A limit was reached (RESOURCE_EXHAUSTED).
    case exhausted
    /// Data is lost or corrupt (DATA_LOSS): a backup that cannot be read back.
    case dataLoss
    case unimplemented
    /// A bug or an impossible state (INTERNAL).
    case `internal`
    /// Nobody knows what it means (UNKNOWN): a peer's error no table lists.
    case unknown
}

/// An error that says what kind of failure it is, with a message safe to show (no secret).
public protocol ClassifiedError: Error, Sendable, CustomStringConvertible {
    var kind: FailureKind { get }
    /// What happened, for the caller and the log; never holds a secret.
    var message: String { get }
}

extension ClassifiedError {
    public var description: String { message }
}

/// A classified failure with nothing more to say than its kind and message.
public struct Failure: ClassifiedError, Equatable {
    public let kind: FailureKind
    public let message: String

    public init(_ kind: FailureKind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}
