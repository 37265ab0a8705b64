import BackupDomain
import PluginSupport
import RPCRuntime

/// The one place errors become gRPC statuses. Below the service nobody knows gRPC: the
/// transport and the clients throw errors that classify themselves (``ClassifiedError``:
/// curl faults, S3's and ClickHouse's answers, secrets, files), the domain and the execution
/// throw ``DomainError``, a run that failed on hosts throws ``RunFailure``. Every service
/// handler maps what it throws through ``rpcError(_:)``; the table is tested row by row.
public enum ErrorMap {
    /// The status of each kind of failure the layers below report.
    public static func code(_ kind: FailureKind) -> StatusCode {
        switch kind {
        case .invalid: return .invalidArgument
        case .refused: return .failedPrecondition
        case .notFound: return .notFound
        case .alreadyExists: return .alreadyExists
        case .permission: return .permissionDenied
        case .unauthenticated: return .unauthenticated
        case .unavailable: return .unavailable
        case .deadline: return .deadlineExceeded
        case .cancelled: return .cancelled
        case .exhausted: return .resourceExhausted
        case .dataLoss: return .dataLoss
        case .unimplemented: return .unimplemented
        case .internal: return .internal
        case .unknown: return .unknown
        }
    }

    /// The status of each kind of domain error.
    public static func code(_ kind: DomainError.Kind) -> StatusCode {
        switch kind {
        case .invalidArgument: return .invalidArgument
        case .failedPrecondition: return .failedPrecondition
        case .notFound: return .notFound
        case .alreadyExists: return .alreadyExists
        case .aborted: return .aborted
        case .unavailable: return .unavailable
        case .permissionDenied: return .permissionDenied
        case .unauthenticated: return .unauthenticated
        case .unimplemented: return .unimplemented
        case .deadlineExceeded: return .deadlineExceeded
        case .cancelled: return .cancelled
        case .internal: return .internal
        }
    }

    /// What the client receives for `error`, keeping `error` as the cause. Errors that do not
    /// describe themselves become INTERNAL with their type name only (no payload can leak).
    public static func rpcError(_ error: any Error) -> RPCError {
        switch error {
        case let error as RPCError: return error
        case let error as RunFailure: return RPCError(rpcError(error.first).code, error.message, cause: error)
        case let error as DomainError: return RPCError(code(error.kind), error.message, cause: error)
        case let error as any ClassifiedError: return RPCError(code(error.kind), error.message, cause: error)
        case is CancellationError: return RPCError(.cancelled, "the call was cancelled", cause: CancellationError())
        case let error as any RPCErrorConvertible: return error.rpcError
        default: return RPCError(.internal, "internal error (\(type(of: error)))")
        }
    }

    /// Runs a handler's body, mapping what it throws (the service boundary).
    public static func mapping<Result>(_ body: () async throws -> Result) async throws(RPCError) -> Result {
        do { return try await body() } catch { throw rpcError(error) }
    }
}

/// A run that failed on one or more hosts: the first failure decides the status, the message
/// counts them.
public struct RunFailure: Error, Sendable, CustomStringConvertible {
    public let failures: [any Error & Sendable]
    public let message: String

    public init(_ failures: [any Error & Sendable], message: String) {
        precondition(!failures.isEmpty, "a run failure has at least one failure")
        self.failures = failures
        self.message = message
    }

    var first: any Error { failures[0] }
    public var description: String { message }
}
