import CGRPC

/// Owns one `grpc_byte_buffer` (a copy of a message being sent), destroyed in deinit. A batch
/// that sends it captures it in its completion tag: the buffer lives until the batch is over,
/// and a batch the core refuses frees it with its tag.
final class OwnedByteBuffer: @unchecked Sendable {
    let raw: UnsafeMutablePointer<grpc_byte_buffer>
    private let onFree: (() -> Void)?

    /// - Parameter onFree: told when the buffer is destroyed (tests).
    init(copying bytes: [UInt8], onFree: (() -> Void)? = nil) {
        raw = bytes.withUnsafeBytes { cgrpc_byte_buffer_copy($0.baseAddress, $0.count)! }
        self.onFree = onFree
    }

    deinit {
        grpc_byte_buffer_destroy(raw)
        onFree?()
    }
}

extension OwnedByteBuffer {
    /// The bytes of a received message (decompressed), or nil when they cannot be read.
    /// The buffer stays the caller's.
    static func bytes(of buffer: UnsafeMutablePointer<grpc_byte_buffer>) -> [UInt8]? {
        var slice = grpc_slice()
        guard cgrpc_byte_buffer_read_all(buffer, &slice) != 0 else { return nil }
        defer { grpc_slice_unref(slice) }  // readall returned a new reference
        return SliceBytes.array(slice)
    }
}
