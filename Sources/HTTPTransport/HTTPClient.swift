import CCurl
import Dispatch
#if canImport(FoundationEssentials)
import FoundationEssentials  // not Foundation: it brings ICU and ~10 MB of resident pages
#else
import Foundation
#endif
import PluginSupport

/// HTTP over libcurl for ClickHouse, S3 and webhooks. Each transfer runs on a thread of its
/// own from Dispatch's pool, never on Swift's cooperative threads (curl blocks); handles are
/// pooled for connection reuse; task cancellation aborts the transfer through curl's progress
/// callback.
public final class HTTPClient: Sendable {
    public let configuration: HTTPConfiguration
    private let pool = LockedState<[CurlEasy]>([])
    private let maxPooled = 16

    public init(configuration: HTTPConfiguration = HTTPConfiguration()) {
        self.configuration = configuration
    }

    /// Sends `request` and returns the whole response; HTTP error statuses are responses,
    /// not errors. - Throws: ``HTTPTransportError`` when no response came.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let transfer = Transfer(request: request)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponse, Error>) in
                // A queue of its own, not the global one: a serial queue gets a thread at once
                // (libdispatch "overcommits" for it), while the global queue runs about one
                // blocking job per core. A transfer blocks for as long as it runs (an awaited
                // BACKUP: seconds), and on two cores the third of four shards' statements
                // waited there for one of the first two to end.
                DispatchQueue(label: "http-transfer").async {
                    continuation.resume(with: Result { try self.perform(transfer) })
                }
            }
        } onCancel: {
            transfer.cancel()
        }
    }

    private func perform(_ transfer: Transfer) throws -> HTTPResponse {
        if let reason = CurlLibrary.loadError { throw HTTPTransportError(CURLE_FAILED_INIT, target: transfer.target, detail: reason) }
        let easy = pool.withLock { $0.popLast() } ?? CurlEasy()
        guard let easy else { throw HTTPTransportError(CURLE_FAILED_INIT, target: transfer.target, detail: "cannot create a curl handle") }
        defer {
            easy.reset()
            pool.withLock { handles in if handles.count < maxPooled { handles.append(easy) } }
        }
        let request = transfer.request
        let headers = CurlStringList(request.headers.map { "\($0.name): \($0.value)" }
            + (request.body.isEmpty || request.headers.contains { $0.name.lowercased() == "content-type" } ? [] : ["Content-Type: application/octet-stream"])
            // No 100-continue round trip before large bodies; not on signed requests, where
            // curl would sign the empty header and S3 would reject the signature.
            + (request.signing == nil ? ["Expect:"] : []))
        let resolve = CurlStringList(configuration.resolve)
        easy.set(CURLOPT_URL, request.url)
        easy.set(CURLOPT_PROTOCOLS_STR, "http,https")  // never file://, ldap://... whatever a definition says
        easy.set(CURLOPT_NOSIGNAL, 1)
        easy.set(CURLOPT_HTTPHEADER, list: headers)
        if !configuration.resolve.isEmpty { easy.set(CURLOPT_RESOLVE, list: resolve) }
        easy.set(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(configuration.connectTimeout))
        easy.set(CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeout ?? configuration.requestTimeout))
        easy.set(CURLOPT_TCP_KEEPALIVE, 1)
        if let caFile = configuration.caFile { easy.set(CURLOPT_CAINFO, caFile) }
        if configuration.insecureSkipVerify {
            easy.set(CURLOPT_SSL_VERIFYPEER, 0)
            easy.set(CURLOPT_SSL_VERIFYHOST, 0)
        }
        if let signing = request.signing {
            easy.set(CURLOPT_AWS_SIGV4, "aws:amz:\(signing.region):s3")
            easy.set(CURLOPT_USERNAME, signing.accessKeyID)
            easy.set(CURLOPT_PASSWORD, signing.secretAccessKey)
        }
        let sink = Unmanaged.passRetained(transfer)
        defer { sink.release() }
        ccurl_set_write(easy.raw, { data, size, count, userdata in
            let transfer = Unmanaged<Transfer>.fromOpaque(userdata!).takeUnretainedValue()
            transfer.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: size * count))
            return size * count
        }, sink.toOpaque())
        ccurl_set_header(easy.raw, { data, size, count, userdata in
            let transfer = Unmanaged<Transfer>.fromOpaque(userdata!).takeUnretainedValue()
            transfer.addHeaderLine(UnsafeRawBufferPointer(start: data, count: size * count))
            return size * count
        }, sink.toOpaque())
        ccurl_set_progress(easy.raw, { userdata, _, _, _, _ in
            Unmanaged<Transfer>.fromOpaque(userdata!).takeUnretainedValue().isCancelled ? 1 : 0
        }, sink.toOpaque())

        let code: CURLcode = request.body.withUnsafeBytes { body in
            switch request.method {
            case "GET": easy.set(CURLOPT_HTTPGET, 1)
            case "HEAD": easy.set(CURLOPT_NOBODY, 1)
            default:
                easy.set(CURLOPT_CUSTOMREQUEST, request.method)
                // POSTFIELDS is not copied: the buffer lives until perform returns.
                easy.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: Int64(body.count))
                easy.set(CURLOPT_POSTFIELDS, pointer: UnsafeMutableRawPointer(mutating: body.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!))
            }
            return easy.perform()
        }
        guard code == CURLE_OK else {
            throw HTTPTransportError(code, target: transfer.target, detail: String(cString: ccurl_easy_strerror(code)))
        }
        return HTTPResponse(status: easy.responseCode, headers: transfer.headers, body: transfer.body)
    }

    /// curl's millisecond limits; 0 would mean "none", so at least 1.
    private static func milliseconds(_ duration: Duration) -> Int { max(1, Int(duration.wholeMilliseconds)) }
}

/// The state of one transfer, shared with curl's callbacks through an Unmanaged pointer.
private final class Transfer: @unchecked Sendable {
    let request: HTTPRequest
    let target: String
    var body: [UInt8] = []
    var headers: [(name: String, value: String)] = []
    private let cancelled = LockedState(false)

    init(request: HTTPRequest) {
        self.request = request
        target = Transfer.hostAndPort(request.url)
    }

    var isCancelled: Bool { cancelled.withLock { $0 } }
    func cancel() { cancelled.withLock { $0 = true } }

    /// Header lines of every response (redirects, 100) arrive here; a status line starts over.
    func addHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        var line = Substring(String(decoding: bytes, as: UTF8.self))
        while line.last?.isNewline == true { line.removeLast() }  // "\r\n" is one Character
        if line.hasPrefix("HTTP/") { headers.removeAll(); return }
        guard let colon = line.firstIndex(of: ":") else { return }
        // RFC 9110 field value: optional whitespace (SP / HTAB) on both sides.
        let isOWS: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        var value = line[line.index(after: colon)...].drop(while: isOWS)
        while let last = value.last, isOWS(last) { value.removeLast() }
        headers.append((line[..<colon].lowercased(), String(value)))
    }

    /// `scheme://host:port` of a URL, for messages: no path, query or user info.
    static func hostAndPort(_ url: String) -> String {
        let parts = url.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[0].hasSuffix(":"), parts[1].isEmpty else { return "?" }
        let authority = parts[2].prefix { $0 != "?" && $0 != "#" }
        let host = authority.split(separator: "@").last.map(String.init) ?? ""
        return "\(parts[0])//\(host)"
    }
}
