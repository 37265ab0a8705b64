import BackupDomain
#if canImport(FoundationEssentials)
import FoundationEssentials  // not Foundation: it brings ICU and ~10 MB of resident pages
#else
import Foundation
#endif
import HTTPTransport

/// User and password for ClickHouse's HTTP interface. `description` never shows the password.
public struct ClickHouseCredentials: Sendable, CustomStringConvertible {
    public var user: String
    public var password: String

    public init(user: String = "default", password: String = "") {
        self.user = user
        self.password = password
    }

    public var description: String { "ClickHouseCredentials(user: \(user), password: [HIDDEN])" }
}

/// A ClickHouse server's HTTP interface (8123, or 8443 with TLS).
public struct ClickHouseEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var secure: Bool

    public init(host: String, port: Int, secure: Bool) {
        self.host = host
        self.port = port
        self.secure = secure
    }

    public var description: String { "\(host):\(port)" }
    var baseURL: String { "\(secure ? "https" : "http")://\(host):\(port)/" }
}

/// ClickHouse over its HTTP interface. SQL travels in the POST body (never in the URL, so no
/// proxy or access log sees it); credentials in `X-ClickHouse-User`/`X-ClickHouse-Key`.
/// `wait_end_of_query=1` makes the server buffer the result, so an error cannot hide behind
/// an HTTP 200; the body is checked for a trailing exception anyway.
public final class ClickHouseClient: Sendable {
    public let endpoint: ClickHouseEndpoint
    private let http: HTTPClient
    private let credentials: ClickHouseCredentials
    /// Values masked out of every error message (S3 secrets in statements).
    private let secrets: [String]

    public init(http: HTTPClient, endpoint: ClickHouseEndpoint, credentials: ClickHouseCredentials, secrets: [String] = []) {
        self.http = http
        self.endpoint = endpoint
        self.credentials = credentials
        self.secrets = secrets.filter { !$0.isEmpty }
    }

    /// Runs `sql` and returns the raw body.
    /// - Parameters:
    ///   - queryID: ClickHouse's query_id (visible in system.processes and system.backups).
    ///   - settings: query-level settings, sent as URL parameters as the HTTP interface expects.
    public func execute(_ sql: String, queryID: String? = nil, settings: [String: String] = [:],
                        timeout: Duration? = nil) async throws -> String {
        String(decoding: try await body(of: sql, queryID: queryID, settings: settings, timeout: timeout), as: UTF8.self)
    }

    /// Runs a query that returns rows, as JSON objects (`FORMAT JSONEachRow` is appended).
    /// Lines are cut and parsed as bytes: a state read returns every table of the server.
    public func rows(_ sql: String, queryID: String? = nil, timeout: Duration? = nil) async throws -> [JSONValue] {
        let body = try await body(of: sql + " FORMAT JSONEachRow", queryID: queryID, timeout: timeout)
        return try body.split(separator: UInt8(ascii: "\n")).map { line in
            do { return try JSONParser.parse(Array(line)) } catch {
                throw ClickHouseError(host: endpoint.description, code: 0, name: "BAD_RESPONSE",
                                      message: "an unreadable JSONEachRow line: \(error)")
            }
        }
    }

    /// The body of a successful answer to `sql`; ClickHouse's refusal as ``ClickHouseError``.
    private func body(of sql: String, queryID: String? = nil, settings: [String: String] = [:], timeout: Duration?) async throws -> [UInt8] {
        var parameters = ["wait_end_of_query": "1"]
        if let queryID { parameters["query_id"] = queryID }
        for (name, value) in settings { parameters[name] = value }
        let query = parameters.sorted { $0.key < $1.key }
            .map { "\(URLQuery.encode($0.key))=\(URLQuery.encode($0.value))" }.joined(separator: "&")
        let request = HTTPRequest(method: "POST", url: endpoint.baseURL + "?" + query,
                                  headers: [("X-ClickHouse-User", credentials.user), ("X-ClickHouse-Key", credentials.password),
                                            ("Content-Type", "text/plain; charset=utf-8")],
                                  body: Array(sql.utf8), timeout: timeout)
        let response = try await http.send(request)
        let headerCode = response.header("x-clickhouse-exception-code").flatMap { Int($0) }
        if response.status != 200 || headerCode != nil {
            throw mask(ClickHouseError.parse(response.text, host: endpoint.description, fallbackCode: headerCode ?? 1000 + response.status)!)
        }
        // A failure after the first bytes (possible without wait_end_of_query) ends the body.
        if let last = Self.lastLine(of: response.body), last.hasPrefix("Code: "), last.contains("DB::Exception") {
            throw mask(ClickHouseError.parse(last, host: endpoint.description)!)
        }
        return response.body
    }

    /// The last non-empty line of `body`, decoded (only it: a body can be every table of a server).
    static func lastLine(of body: [UInt8]) -> String? {
        let newline = UInt8(ascii: "\n")
        guard let end = body.lastIndex(where: { $0 != newline }) else { return nil }
        let start = body[..<end].lastIndex(of: newline).map { $0 + 1 } ?? 0
        return String(decoding: body[start...end], as: UTF8.self)
    }

    /// `SELECT 1`: reachable, and the credentials work.
    public func ping() async throws {
        _ = try await execute("SELECT 1", timeout: .seconds(10))
    }

    private func mask(_ error: ClickHouseError) -> ClickHouseError {
        var message = error.message
        for secret in secrets where !secret.isEmpty { message = message.replacing(secret, with: "[HIDDEN]") }
        // A refused login names the user the plugin logged in as (never the password).
        if ClickHouseErrorMap.entry(error.code)?.remedy == ClickHouseErrorMap.userRemedy {
            message += " (the plugin logs in as user \(BoundedText.quoted(credentials.user)))"
        }
        return ClickHouseError(host: error.host, code: error.code, name: error.name, message: message)
    }
}
