import BackupDomain
import RPCRuntime

/// The one place domain errors become gRPC statuses (the house error map).
extension DomainError: RPCErrorConvertible {
    public var rpcError: RPCError {
        let code: StatusCode
        switch kind {
        case .invalidArgument: code = .invalidArgument
        case .failedPrecondition: code = .failedPrecondition
        case .notFound: code = .notFound
        case .alreadyExists: code = .alreadyExists
        case .unavailable: code = .unavailable
        case .permissionDenied: code = .permissionDenied
        case .unauthenticated: code = .unauthenticated
        case .unimplemented: code = .unimplemented
        case .deadlineExceeded: code = .deadlineExceeded
        case .cancelled: code = .cancelled
        case .internal: code = .internal
        }
        return RPCError(code, message)
    }
}
