/// The hash the domain names things with (operation ids): SHA-256, given from outside so the
/// domain holds no cryptography of its own. The service passes OpenSSL's (`CryptoDigest`).
public struct Digest: Sendable {
    /// The 32-byte SHA-256 of the bytes.
    public let sha256: @Sendable ([UInt8]) -> [UInt8]

    public init(sha256: @escaping @Sendable ([UInt8]) -> [UInt8]) { self.sha256 = sha256 }

    /// Lower-case hex of the SHA-256 of `text`'s UTF-8.
    public func hex(_ text: String) -> String { hex(Array(text.utf8)) }

    /// Lower-case hex of the SHA-256 of `bytes`.
    public func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in sha256(bytes) { out.append(digits[Int(byte >> 4)]); out.append(digits[Int(byte & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
