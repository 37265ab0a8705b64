/// Request metadata (HTTP/2 headers) as the client sent them, in order.
public struct Metadata: Sendable, Sequence {
    /// One header: a lower-case key and its value. Keys ending in `-bin` carry raw bytes.
    public struct Entry: Sendable, Hashable {
        public let key: String
        public let value: [UInt8]
    }

    private var entries: [Entry]

    /// Creates metadata from entries.
    /// - Parameter entries: the headers, in order.
    public init(_ entries: [Entry] = []) { self.entries = entries }

    /// Creates metadata from text pairs.
    /// - Parameter pairs: key/value pairs.
    public init(pairs: [(String, String)]) {
        self.entries = pairs.map { Entry(key: $0.0.lowercased(), value: Array($0.1.utf8)) }
    }

    /// The first value for `key` as text, or nil.
    /// - Parameter key: a header name, compared case-insensitively.
    public subscript(key: String) -> String? {
        let wanted = key.lowercased()
        guard let entry = entries.first(where: { $0.key == wanted }) else { return nil }
        return String(decoding: entry.value, as: UTF8.self)
    }

    public func makeIterator() -> IndexingIterator<[Entry]> { entries.makeIterator() }
    public var count: Int { entries.count }
}
