#if canImport(FoundationEssentials)
import FoundationEssentials  // not Foundation: it brings ICU and ~10 MB of resident pages
#else
import Foundation
#endif
import CryptoDigest
import HTTPTransport
import PluginSupport

/// The few S3 calls the plugin makes itself (manifests), signed with SigV4 by curl.
/// Objects are addressed by full URL, as the planner builds them (path-style on a custom
/// endpoint, virtual-host style on AWS).
public final class S3Client: Sendable {
    private let http: HTTPClient
    private let signing: AWSSigning?

    /// - Parameter signing: nil sends unsigned requests (a public or policy-open bucket).
    public init(http: HTTPClient, signing: AWSSigning?) {
        self.http = http
        self.signing = signing
    }

    /// PUT an object. `ifNoneMatch` makes it create-only (412 when it exists): a lock.
    /// - Returns: false when `ifNoneMatch` was set and the object already existed.
    @discardableResult
    public func put(_ url: String, body: [UInt8], contentType: String = "application/json", ifNoneMatch: Bool = false) async throws -> Bool {
        var headers: [(name: String, value: String)] = [("Content-Type", contentType), ("x-amz-content-sha256", "UNSIGNED-PAYLOAD")]
        if ifNoneMatch { headers.append(("If-None-Match", "*")) }
        let response = try await http.send(HTTPRequest(method: "PUT", url: url, headers: headers, body: body, timeout: .seconds(30), signing: signing))
        if ifNoneMatch, response.status == 412 { return false }
        try check(response, url: url)
        return true
    }

    /// GET an object with its ETag; nil when it does not exist.
    public func getVersioned(_ url: String) async throws -> (body: [UInt8], etag: String)? {
        let response = try await http.send(HTTPRequest(method: "GET", url: url, headers: [("x-amz-content-sha256", "UNSIGNED-PAYLOAD")],
                                                       timeout: .seconds(30), signing: signing))
        if response.status == 404 { return nil }
        try check(response, url: url)
        let etag = response.headers.first { $0.name.lowercased() == "etag" }?.value ?? ""
        return (response.body, etag)
    }

    /// PUT only if the object's ETag is still `version` (If-Match), or with nil only if it
    /// does not exist (If-None-Match). - Returns: false on 412 (it changed meanwhile).
    public func put(_ url: String, body: [UInt8], ifVersion version: String?) async throws -> Bool {
        let condition = version.map { ("If-Match", $0) } ?? ("If-None-Match", "*")
        let headers: [(name: String, value: String)] = [("Content-Type", "application/json"), ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"), condition]
        let response = try await http.send(HTTPRequest(method: "PUT", url: url, headers: headers, body: body, timeout: .seconds(30), signing: signing))
        if response.status == 412 { return false }
        try check(response, url: url)
        return true
    }

    /// GET an object; nil when it does not exist.
    public func get(_ url: String) async throws -> [UInt8]? {
        let response = try await http.send(HTTPRequest(method: "GET", url: url, headers: [("x-amz-content-sha256", "UNSIGNED-PAYLOAD")],
                                                       timeout: .seconds(30), signing: signing))
        if response.status == 404 { return nil }
        try check(response, url: url)
        return response.body
    }

    /// HEAD an object: whether it exists, without its body.
    public func exists(_ url: String) async throws -> Bool {
        let response = try await http.send(HTTPRequest(method: "HEAD", url: url, headers: [("x-amz-content-sha256", "UNSIGNED-PAYLOAD")],
                                                       timeout: .seconds(30), signing: signing))
        if response.status == 404 { return false }
        try check(response, url: url)
        return true
    }

    /// One page of ListObjectsV2 under `prefix`: object keys and, with a delimiter, the
    /// common prefixes ("folders"), following continuation tokens to the end.
    /// - Parameter bucketURL: the bucket's URL ending in `/` (`S3Destination.bucketURL`).
    public func list(bucketURL: String, prefix: String, delimiter: String? = nil) async throws -> (keys: [String], prefixes: [String]) {
        var keys: [String] = [], prefixes: [String] = []
        var token: String?
        repeat {
            var query: [(String, String)] = [("list-type", "2"), ("prefix", prefix)]
            if let delimiter { query.append(("delimiter", delimiter)) }
            if let token { query.append(("continuation-token", token)) }
            let url = bucketURL + "?" + URLQuery.sorted(query)
            let response = try await http.send(HTTPRequest(method: "GET", url: url, headers: [("x-amz-content-sha256", "UNSIGNED-PAYLOAD")],
                                                           timeout: .seconds(30), signing: signing))
            try check(response, url: bucketURL + prefix)
            let page: XMLElement
            do { page = try XMLElement.parse(response.body) } catch {
                throw S3Error(.unavailable, "S3 \(Self.objectName(bucketURL + prefix)): the listing is \(error)")
            }
            keys += page.children("Contents").compactMap { $0.value("Key") }
            prefixes += page.children("CommonPrefixes").compactMap { $0.value("Prefix") }
            token = page.value("IsTruncated") == "true" ? page.value("NextContinuationToken") : nil
            if page.value("IsTruncated") == "true", token?.isEmpty ?? true {
                throw S3Error(.unavailable, "S3 \(Self.objectName(bucketURL + prefix)): a truncated listing without a continuation token")
            }
        } while token != nil
        return (keys, prefixes)
    }

    /// DeleteObjects (`POST ?delete=`: curl signs a bare `?delete` differently from S3): `keys` of
    /// the bucket at `bucketURL` in requests of up to 1,000 keys
    /// (S3's limit), each with the `Content-MD5` of its body, which S3 requires.
    /// Keys that are gone are not errors; the first key S3 refuses is thrown.
    public func delete(bucketURL: String, keys: [String]) async throws {
        for start in stride(from: 0, to: keys.count, by: 1000) {
            let batch = keys[start..<min(keys.count, start + 1000)]
            let body = Array(("<Delete><Quiet>true</Quiet>" + batch.map { "<Object><Key>\(Self.xmlEscaped($0))</Key></Object>" }.joined()
                              + "</Delete>").utf8)
            let headers: [(name: String, value: String)] = [("Content-Type", "application/xml"), ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
                                                            ("Content-MD5", Data(ContentMD5.of(body)).base64EncodedString())]
            let response = try await http.send(HTTPRequest(method: "POST", url: bucketURL + "?delete=", headers: headers, body: body,
                                                           timeout: .seconds(120), signing: signing))
            try check(response, url: bucketURL)
            guard let answer = try? XMLElement.parse(response.body), let refused = answer.children("Error").first else { continue }
            throw S3Error(.unavailable, "S3 \(Self.objectName(bucketURL + (refused.value("Key") ?? ""))): not deleted: "
                          + "\(refused.value("Code") ?? "error") \(refused.value("Message") ?? "")")
        }
    }

    /// `text` as XML character data.
    static func xmlEscaped(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// DELETE an object; deleting one that is gone is not an error (S3 answers 204 either way).
    public func delete(_ url: String) async throws {
        let response = try await http.send(HTTPRequest(method: "DELETE", url: url, headers: [("x-amz-content-sha256", "UNSIGNED-PAYLOAD")],
                                                       timeout: .seconds(30), signing: signing))
        if response.status == 404 { return }
        try check(response, url: url)
    }

    private func check(_ response: HTTPResponse, url: String) throws {
        guard !(200..<300).contains(response.status) else { return }
        let code = (try? XMLElement.parse(response.body))?.value("Code") ?? "HTTP \(response.status)"
        let message = "S3 \(Self.objectName(url)): \(code) (HTTP \(response.status))"
        switch response.status {
        case 401, 403: throw S3Error(.permission, message, status: response.status)
        case 404: throw S3Error(.notFound, message, status: response.status)
        case 400..<500: throw S3Error(.refused, message, status: response.status)
        default: throw S3Error(.unavailable, message, status: response.status)
        }
    }

    /// `host/bucket/key` for messages, without the scheme's query or credentials.
    static func objectName(_ url: String) -> String {
        let withoutScheme = url.components(separatedBy: "://").last ?? url
        return withoutScheme.components(separatedBy: "?").first ?? withoutScheme
    }
}

/// What S3 answered instead of what was asked: its code and HTTP status, classified (refused
/// keys are `permission`, a missing object `notFound`, other 4xx `refused`, the rest worth a retry).
public struct S3Error: ClassifiedError, Equatable {
    public let kind: FailureKind
    public let message: String
    /// The HTTP status, when S3 answered (nil: its answer could not be read).
    public let status: Int?

    public init(_ kind: FailureKind, _ message: String, status: Int? = nil) {
        self.kind = kind
        self.message = message
        self.status = status
    }
}
