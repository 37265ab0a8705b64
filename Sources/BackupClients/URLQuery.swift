/// Query strings for the plugin's own requests (ClickHouse settings, S3 listings).
enum URLQuery {
    /// Percent-encodes everything but RFC 3986's unreserved characters (for URL parameters).
    static func encode(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                bytes.append(byte)
            default:
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `k=v&...` with keys in byte order: SigV4 signs the query sorted, and libcurl 7.88
    /// signs it in the order given, so an unsorted query fails S3's signature check.
    static func sorted(_ items: [(String, String)]) -> String {
        items.sorted { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
            .map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }
}
