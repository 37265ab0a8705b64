import HTTPTransport

/// POSTs JSON to a webhook (a generic receiver or Slack's incoming webhooks), retrying what
/// may pass on a second try (connection errors, timeouts, 429 and 5xx) with a doubling pause.
/// Webhook URLs often carry their secret in the path, so outcomes name only host and port.
public struct WebhookClient: Sendable {
    public let http: HTTPClient
    /// Tries per delivery, the first included.
    public var attempts: Int
    /// Limit on each try.
    public var timeout: Duration
    /// Pause before the second try; doubled for each later one.
    public var backoff: Duration

    public init(http: HTTPClient, attempts: Int = 3, timeout: Duration = .seconds(10), backoff: Duration = .milliseconds(500)) {
        self.http = http
        self.attempts = max(1, attempts)
        self.timeout = timeout
        self.backoff = backoff
    }

    /// How a delivery ended.
    public struct Delivery: Sendable, Equatable {
        /// The receiver's final HTTP status, or nil when it was never reached.
        public let status: Int?
        public let attempts: Int
        /// Why it failed, naming the receiver by host and port only; nil when delivered.
        public let failure: String?
        public var delivered: Bool { failure == nil }
    }

    /// Posts `body` until it is accepted (2xx), refused for good (other 4xx) or out of tries.
    public func post(_ url: String, json body: [UInt8]) async -> Delivery {
        let target = Self.hostAndPort(url)
        var pause = backoff
        var last = Delivery(status: nil, attempts: 0, failure: "\(target): not tried")
        for attempt in 1...attempts {
            if attempt > 1 {
                do { try await Task.sleep(for: pause) } catch { return last }
                pause = pause * 2
            }
            let request = HTTPRequest(method: "POST", url: url, headers: [("Content-Type", "application/json")], body: body, timeout: timeout)
            do {
                let response = try await http.send(request)
                if (200..<300).contains(response.status) { return Delivery(status: response.status, attempts: attempt, failure: nil) }
                last = Delivery(status: response.status, attempts: attempt, failure: "\(target) answered HTTP \(response.status)")
                if response.status != 429 && response.status < 500 { return last }
            } catch let error as HTTPTransportError {
                last = Delivery(status: nil, attempts: attempt, failure: error.description)
                if error.isCancelled { return last }
            } catch {
                last = Delivery(status: nil, attempts: attempt, failure: "\(target): \(error)")
            }
        }
        return last
    }

    /// `host:port` of a URL, never its path or query (where webhook tokens live).
    static func hostAndPort(_ url: String) -> String {
        let parts = url.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        let rest = parts.count == 2 ? parts[1] : Substring(url)
        let authority = rest.prefix(while: { $0 != "/" && $0 != "?" && $0 != "#" })
        return String(authority.split(separator: "@").last ?? authority)
    }
}
