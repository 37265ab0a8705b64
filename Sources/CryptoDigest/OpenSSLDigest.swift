import BackupDomain
import CCrypto

extension Digest {
    /// SHA-256 from OpenSSL's libcrypto (`EVP_Digest`, one call, no state kept).
    public static let openSSL = Digest { bytes in
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { input in
            output.withUnsafeMutableBufferPointer { out in
                EVP_Digest(input.baseAddress, input.count, out.baseAddress, &length, EVP_sha256(), nil)
            }
        }
        precondition(ok == 1 && length == 32, "EVP_Digest(SHA-256) failed")  // only on allocation failure
        return Array(output.prefix(Int(length)))
    }
}

/// MD5 from libcrypto, for what S3 requires it for (DeleteObjects' `Content-MD5`): an integrity
/// check of a request body, not a security one.
public enum ContentMD5 {
    public static func of(_ bytes: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { input in
            output.withUnsafeMutableBufferPointer { out in EVP_Digest(input.baseAddress, input.count, out.baseAddress, &length, EVP_md5(), nil) }
        }
        precondition(ok == 1 && length == 16, "EVP_Digest(MD5) failed")  // only on allocation failure
        return Array(output.prefix(Int(length)))
    }
}
