import PluginSupport

/// An error that ends an RPC with a status code and a message for the client.
///
/// Handlers throw it (or an error adopting ``RPCErrorConvertible``); the runtime maps every
/// error to a status once, at the call boundary. Messages reach clients and logs: they must
/// never hold a secret.
public struct RPCError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The status code sent to the client.
    public var code: StatusCode
    /// The status message sent to the client.
    public var message: String
    /// The error this one reports, when it reports another (logs and tests read it; it never
    /// reaches the wire). Not part of equality.
    public var cause: (any Error & Sendable)?

    /// Creates an error.
    /// - Parameters:
    ///   - code: the status code; `.ok` is not an error and is replaced by `.unknown`.
    ///   - message: a message for the client, free of secrets.
    ///   - cause: the underlying error, kept for the log.
    public init(_ code: StatusCode, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code == .ok ? .unknown : code
        self.message = Self.bounded(message)
        self.cause = cause
    }

    public static func == (a: RPCError, b: RPCError) -> Bool { a.code == b.code && a.message == b.message }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
    }

    /// The longest status message sent, in bytes: clients refuse metadata over 16 KiB by
    /// default, and the status travels in the trailers.
    public static let maxMessageBytes = 8192

    /// `message` cut to ``maxMessageBytes`` on a character boundary, with a note when cut.
    static func bounded(_ message: String) -> String {
        let size = message.utf8.count
        guard size > maxMessageBytes else { return message }
        let note = "… (cut from \(size) bytes)"
        // A cut inside a multi-byte character decodes as U+FFFD: drop it.
        var kept = String(decoding: message.utf8.prefix(maxMessageBytes - note.utf8.count), as: UTF8.self)
        while kept.last == "\u{FFFD}" { kept.removeLast() }
        return kept + note
    }

    public var description: String { "\(code): \(message)" }
}

/// A domain error that knows which gRPC status it becomes.
public protocol RPCErrorConvertible: Error {
    /// The status this error is reported as.
    var rpcError: RPCError { get }
}

extension RPCError {
    /// Maps any error thrown by a handler to the status the client receives.
    ///
    /// Cancellation becomes CANCELLED; errors that do not describe themselves become INTERNAL
    /// with their type name only, so an unexpected error cannot leak its payload.
    /// - Parameter error: what the handler threw.
    public static func from(_ error: any Error) -> RPCError {
        switch error {
        case let error as RPCError: return error
        case let error as any RPCErrorConvertible: return error.rpcError
        case is CancellationError: return RPCError(.cancelled, "the call was cancelled")
        default: return RPCError(.internal, "internal error (\(type(of: error)))")
        }
    }
}

extension RPCError {
    /// The runtime's reading of a support failure (a file it cannot read, a thread it cannot
    /// start): the application's error map is not in reach down here, and these are the
    /// runtime's own errors.
    init(_ failure: Failure) {
        self.init(failure.kind == .refused ? .failedPrecondition : .internal, failure.message, cause: failure)
    }
}
