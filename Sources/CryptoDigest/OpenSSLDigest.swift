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
