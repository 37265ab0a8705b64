import CCurl
import PluginSupport

/// A transfer that did not produce a response: the peer is unreachable, slow, or the call
/// was cancelled (`cancelled`); every other one is worth retrying (`unavailable`). The message
/// names host and port only, never a URL's query or a credential.
public struct HTTPTransportError: ClassifiedError {
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

    public var kind: FailureKind { isCancelled ? .cancelled : .unavailable }

    public var message: String { isCancelled ? "\(target): the request was cancelled" : "\(target): \(detail) (curl \(curlCode))" }
}
