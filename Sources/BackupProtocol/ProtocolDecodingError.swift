import RPCRuntime

/// Bytes that are not a valid protobuf encoding of the expected message.
public struct ProtocolDecodingError: Error, RPCErrorConvertible, Equatable {
    /// The full protobuf name of the expected message.
    public let typeName: String

    public var rpcError: RPCError {
        RPCError(.invalidArgument, "the request is not a valid \(typeName) protobuf message")
    }
}
