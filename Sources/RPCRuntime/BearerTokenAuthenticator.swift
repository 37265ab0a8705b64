import PluginSupport
/// Checks `authorization: Bearer <token>` on every call except the exempt methods (health, so
/// Kubernetes probes need no token). The token comes from a file, read again when it changes,
/// so a rotated Secret takes effect without a restart. Comparison takes the same time whatever
/// the mismatch; neither the expected nor the offered token ever appears in a message.
public final class BearerTokenAuthenticator: Sendable {
    private let file: WatchedFile
    private let exemptPrefixes: [String]
    private let current: LockedState<(WatchedFile.Signature?, [UInt8])>
    /// When the file was last looked at.
    private let checked = LockedState(ContinuousClock.now)

    /// Reads the token file.
    /// - Parameters:
    ///   - tokenFile: a file holding the token (surrounding whitespace ignored).
    ///   - exemptPrefixes: method paths starting with one of these need no token.
    /// - Throws: `RPCError(.failedPrecondition)` when the file cannot be read or is empty.
    public init(tokenFile: String, exemptPrefixes: [String] = ["/grpc.health.v1.Health/"]) throws {
        file = WatchedFile(path: tokenFile)
        self.exemptPrefixes = exemptPrefixes
        current = LockedState((file.signature(), try Self.token(from: file)))
    }

    private static func read(_ file: WatchedFile) throws(RPCError) -> [UInt8] {
        do { return try file.read() } catch { throw RPCError(error) }
    }

    private static func token(from file: WatchedFile) throws -> [UInt8] {
        let token = Array(String(decoding: try Self.read(file), as: UTF8.self).trimmingWhitespace.utf8)
        guard !token.isEmpty else { throw RPCError(.failedPrecondition, "\(file.path) holds no token") }
        return token
    }

    /// nil when the call may go on, else the UNAUTHENTICATED error to answer with.
    public func check(_ context: ServerContext) -> RPCError? {
        if exemptPrefixes.contains(where: { context.method.hasPrefix($0) }) { return nil }
        guard let header = context.metadata["authorization"] else {
            return RPCError(.unauthenticated, "this server requires a bearer token: send the metadata 'authorization: Bearer <token>'")
        }
        let scheme = "bearer "
        guard header.count > scheme.count, header.prefix(scheme.count).lowercased() == scheme else {
            return RPCError(.unauthenticated, "the authorization metadata must be 'Bearer <token>'")
        }
        let offered = Array(header.dropFirst(scheme.count).utf8)
        return Self.equal(offered, expected()) ? nil : RPCError(.unauthenticated, "the bearer token is not valid")
    }

    /// The token, read again if its file changed (looked at no more than once a second: a
    /// `stat` per call is most of a health check's cost); a file that became unreadable keeps
    /// the old one.
    private func expected() -> [UInt8] {
        let now = ContinuousClock.now
        let due = checked.withLock { last -> Bool in
            guard now - last >= Self.recheck else { return false }
            last = now
            return true
        }
        guard due else { return current.withLock { $0.1 } }
        let signature = file.signature()
        return current.withLock { current in
            if signature != current.0, let token = try? Self.token(from: file) { current = (signature, token) }
            return current.1
        }
    }

    /// How often the token file is looked at.
    static let recheck: Duration = .seconds(1)

    /// Constant time in the offered token's content (its length is not secret). Lengths are
    /// compared as lengths: folding their difference into a byte let a token followed by 256
    /// NUL bytes pass.
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference: UInt8 = a.count == b.count ? 0 : 1
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}

private extension String {
    var trimmingWhitespace: String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
