#if canImport(Glibc)
import Glibc
#endif
import PluginSupport

/// A minimal HTTP/1.1 server for the metrics port: one thread, one connection at a time,
/// `GET` only, `Connection: close`. Scrapes are rare and small, so nothing more is needed,
/// and it keeps the metrics port free of the gRPC port's TLS and token (put it behind a
/// NetworkPolicy instead).
public final class MetricsHTTPServer: Sendable {
    /// What a path answers: status, content type, body.
    public typealias Handler = @Sendable (_ path: String) -> (status: Int, contentType: String, body: [UInt8])

    private let socket: Int32
    /// The bound port (useful with port 0).
    public let port: Int
    private let handler: Handler
    private let state = LockedState<(stopping: Bool, thread: pthread_t?)>((false, nil))

    /// Binds and listens on `address` (`HOST:PORT`, IPv6 hosts in brackets).
    /// - Throws: ``Failure`` (`unavailable`) when the address cannot be bound.
    public init(address: String, handler: @escaping Handler) throws {
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) else {
            throw Failure(.invalid, "metrics address must be HOST:PORT, not '\(address)'")
        }
        let host = String(address[..<colon]).trimmingBrackets
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let info = found else {
            throw Failure(.invalid, "metrics address host must be a numeric IP address, not '\(host)'")
        }
        defer { freeaddrinfo(found) }
        let fd = Glibc.socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(.unavailable, "cannot open a socket for \(address)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0, listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw Failure(.unavailable, "cannot listen on \(address): \(reason)")
        }
        var bound = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) } }
        let networkPort = withUnsafeBytes(of: &bound) { raw -> UInt16 in
            // sin_port and sin6_port sit at the same offset, right after the family.
            raw.load(fromByteOffset: MemoryLayout<sa_family_t>.size, as: UInt16.self)
        }
        self.socket = fd
        self.port = Int(UInt16(bigEndian: networkPort))
        self.handler = handler
    }

    /// Starts the serving thread.
    public func start() throws {
        let thread = try PosixThread.spawn("metrics") { self.serve() }
        state.withLock { $0.thread = thread }
    }

    /// Stops accepting, waits for the thread (at most one poll interval), closes the socket.
    public func stop() {
        let thread = state.withLock { state -> pthread_t? in
            state.stopping = true
            defer { state.thread = nil }
            return state.thread
        }
        if let thread { pthread_join(thread, nil) }
        close(socket)
    }

    private func serve() {
        while !state.withLock({ $0.stopping }) {
            var ready = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 200) > 0 else { continue }  // wakes to see `stopping`
            let client = accept(socket, nil, nil)  // the plugin runs no child processes: no CLOEXEC needed
            guard client >= 0 else { continue }
            answer(client)
            close(client)
        }
    }

    private func answer(_ client: Int32) {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)  // a silent client cannot hold the thread
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while request.count < 16384, !request.containsHeaderEnd {  // a body may follow; it is never read
            let count = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return }
            request += chunk[0..<count]
        }
        let line = String(decoding: request.prefix(while: { $0 != 13 && $0 != 10 }), as: UTF8.self).split(separator: " ")
        let (status, type, body): (Int, String, [UInt8])
        if line.count != 3 || !line[2].hasPrefix("HTTP/") {
            (status, type, body) = (400, "text/plain", Array("bad request\n".utf8))
        } else if line[0] != "GET" {
            (status, type, body) = (405, "text/plain", Array("only GET\n".utf8))
        } else {
            (status, type, body) = handler(String(line[1].split(separator: "?", maxSplits: 1)[0]))
        }
        let reason = [200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"][status] ?? "Error"
        let head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: \(type)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        var bytes = Array(head.utf8) + body
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeMutableBytes { send(client, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return }
            sent += count
        }
    }
}

private extension String {
    var trimmingBrackets: String { hasPrefix("[") && hasSuffix("]") ? String(dropFirst().dropLast()) : self }
}

private extension Array where Element == UInt8 {
    /// Whether the blank line ending the headers has arrived.
    var containsHeaderEnd: Bool {
        guard count >= 4 else { return false }
        return (0...(count - 4)).contains { self[$0] == 13 && self[$0 + 1] == 10 && self[$0 + 2] == 13 && self[$0 + 3] == 10 }
    }
}
