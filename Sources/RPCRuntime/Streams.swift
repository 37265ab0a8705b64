/// Sends response messages of a streaming call, in order. Not for concurrent use.
public struct RawResponseWriter: Sendable {
    let sendBody: @Sendable ([UInt8]) async throws -> Void

    /// Creates a writer from a send function (the runtime does; tests may too).
    /// - Parameter send: sends one encoded message, throwing when the call is over.
    public init(send: @escaping @Sendable ([UInt8]) async throws -> Void) { self.sendBody = send }

    /// Sends one encoded message.
    /// - Throws: ``RPCError`` `.cancelled` when the client has gone.
    public func send(_ bytes: [UInt8]) async throws { try await sendBody(bytes) }
}

/// The typed face of ``RawResponseWriter``.
public struct ResponseWriter<Message: RPCMessage>: Sendable {
    /// The untyped writer underneath.
    public let raw: RawResponseWriter

    /// Wraps a raw writer.
    public init(raw: RawResponseWriter) { self.raw = raw }

    /// Sends one message.
    /// - Throws: ``RPCError`` `.cancelled` when the client has gone.
    public func send(_ message: Message) async throws { try await raw.send(message.serializedBytes()) }
}

/// The request messages of a client- or bidirectional-streaming call, read on demand.
public struct RawRequestStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    let receive: @Sendable () async throws -> [UInt8]?

    /// Creates a stream from a receive function (the runtime does; tests may too).
    /// - Parameter receive: returns the next message, or nil when the client half-closed.
    public init(receive: @escaping @Sendable () async throws -> [UInt8]?) { self.receive = receive }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let receive: @Sendable () async throws -> [UInt8]?
        public mutating func next() async throws -> [UInt8]? { try await receive() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(receive: receive) }
}

/// The typed face of ``RawRequestStream``.
public struct RequestStream<Message: RPCMessage>: AsyncSequence, Sendable {
    public typealias Element = Message
    /// The untyped stream underneath.
    public let raw: RawRequestStream

    /// Wraps a raw stream.
    public init(raw: RawRequestStream) { self.raw = raw }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var raw: RawRequestStream.AsyncIterator
        public mutating func next() async throws -> Message? {
            guard let bytes = try await raw.next() else { return nil }
            return try Message(serializedBytes: bytes)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(raw: raw.makeAsyncIterator()) }
}
