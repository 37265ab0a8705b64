/// A protobuf message the runtime can carry: the protocol module maps each one by hand.
public protocol RPCMessage: Sendable {
    /// Decodes a message from its protobuf wire bytes.
    /// - Parameter serializedBytes: the bytes received.
    /// - Throws: ``RPCError`` with `.invalidArgument` when the bytes are not such a message.
    init(serializedBytes: [UInt8]) throws
    /// Encodes the message to protobuf wire bytes.
    func serializedBytes() -> [UInt8]
}
