/// One HTTP request. The body is sent as is; `signing` asks curl to sign it with AWS SigV4.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Whole-transfer limit; nil uses the client's default.
    public var timeout: Duration?
    public var signing: AWSSigning?

    public init(method: String = "GET", url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
                timeout: Duration? = nil, signing: AWSSigning? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.signing = signing
    }
}

/// AWS Signature Version 4 credentials for one request (S3). `description` never shows the secret.
public struct AWSSigning: Sendable, CustomStringConvertible {
    public var region: String
    public var accessKeyID: String
    public var secretAccessKey: String

    public init(region: String, accessKeyID: String, secretAccessKey: String) {
        self.region = region
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
    }

    public var description: String { "AWSSigning(region: \(region), accessKeyID: [HIDDEN], secretAccessKey: [HIDDEN])" }
}

/// A complete response: status, headers as received (names lower-cased), body.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The last value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.last { $0.name == wanted }?.value
    }

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// How the client connects: name overrides, timeouts, TLS.
public struct HTTPConfiguration: Sendable {
    /// curl-style `NAME:PORT:ADDRESS` entries: requests to NAME:PORT go to ADDRESS.
    public var resolve: [String]
    public var connectTimeout: Duration
    public var requestTimeout: Duration
    /// PEM bundle of the CAs to trust (default: the system's).
    public var caFile: String?
    /// Skip certificate verification (test clusters with self-signed certificates only).
    public var insecureSkipVerify: Bool

    public init(resolve: [String] = [], connectTimeout: Duration = .seconds(5), requestTimeout: Duration = .seconds(60),
                caFile: String? = nil, insecureSkipVerify: Bool = false) {
        self.resolve = resolve
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.caFile = caFile
        self.insecureSkipVerify = insecureSkipVerify
    }

    /// Checks each resolve entry is `NAME:PORT:ADDRESS`; returns the bad ones.
    public static func invalidResolveEntries(_ entries: [String]) -> [String] {
        entries.filter { entry in
            let parts = entry.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            return parts.count != 3 || parts[0].isEmpty || UInt16(parts[1]) == nil || parts[2].isEmpty
        }
    }
}
