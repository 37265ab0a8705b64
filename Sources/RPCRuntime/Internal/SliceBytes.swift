import CGRPC

/// Copies out of `grpc_slice`s. A short slice holds its bytes inline, inside the struct, so
/// the bytes are read through a pointer to the caller's slice and copied before it goes away.
enum SliceBytes {
    static func array(_ slice: grpc_slice) -> [UInt8] {
        withUnsafePointer(to: slice) { pointer in
            Array(UnsafeBufferPointer(start: cgrpc_slice_start(pointer), count: cgrpc_slice_length(pointer)))
        }
    }

    static func string(_ slice: grpc_slice) -> String {
        withUnsafePointer(to: slice) { pointer in
            String(decoding: UnsafeBufferPointer(start: cgrpc_slice_start(pointer), count: cgrpc_slice_length(pointer)), as: UTF8.self)
        }
    }
}
