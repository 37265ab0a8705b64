import CCurl
import RPCRuntime

/// A transfer that did not produce a response: the peer is unreachable, slow, or the call
/// was cancelled. Retryable ones are UNAVAILABLE. The message names host and port only,
/// never a URL's query or a credential.
public struct HTTPTransportError: Error, RPCErrorConvertible, CustomStringConvertible {
    public let curlCode: Int
    public let target: String
    public let detail: String

    init(_ code: CURLcode, target: String, detail: String) {
        self.curlCode = Int(code.rawValue)
        self.target = target
        self.detail = detail
    }

    public var isTimeout: Bool { curlCode == Int(CURLE_OPERATION_TIMEDOUT.rawValue) }
    public var isCancelled: Bool { curlCode == Int(CURLE_ABORTED_BY_CALLBACK.rawValue) }

    public var description: String { "\(target): \(detail) (curl \(curlCode))" }

    public var rpcError: RPCError {
        if isCancelled { return RPCError(.cancelled, "\(target): the request was cancelled") }
        return RPCError(.unavailable, description)
    }
}
