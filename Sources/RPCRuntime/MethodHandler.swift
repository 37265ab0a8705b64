/// How one method is served. Handlers work on raw bytes; the typed factories below decode
/// requests and encode responses with ``RPCMessage``.
public enum MethodHandler: Sendable {
    /// One request, one response.
    case unary(@Sendable (_ request: [UInt8], _ context: ServerContext) async throws -> [UInt8])
    /// One request, one response, computed at once on the completion-queue thread: no task,
    /// and the answer and the call's close in one batch. For handlers that only read memory
    /// (health checks, identity) and are called often; it must not block or wait.
    case immediate(@Sendable (_ request: [UInt8], _ context: ServerContext) throws -> [UInt8])
    /// One request, a stream of responses.
    case serverStreaming(@Sendable (_ request: [UInt8], _ context: ServerContext, _ writer: RawResponseWriter) async throws -> Void)
    /// A stream of requests and a stream of responses.
    case bidirectionalStreaming(@Sendable (_ requests: RawRequestStream, _ context: ServerContext, _ writer: RawResponseWriter) async throws -> Void)

    /// A unary handler over typed messages.
    /// - Parameters:
    ///   - request: the request type.
    ///   - response: the response type.
    ///   - body: the handler.
    public static func unary<Request: RPCMessage, Response: RPCMessage>(
        _ request: Request.Type, _ response: Response.Type,
        _ body: @escaping @Sendable (Request, ServerContext) async throws -> Response
    ) -> MethodHandler {
        .unary { bytes, context in
            try await body(Request(serializedBytes: bytes), context).serializedBytes()
        }
    }

    /// An immediate handler (``immediate(_:)``) over typed messages.
    /// - Parameters:
    ///   - request: the request type.
    ///   - response: the response type.
    ///   - body: the handler; it answers at once, without waiting.
    public static func immediate<Request: RPCMessage, Response: RPCMessage>(
        _ request: Request.Type, _ response: Response.Type,
        _ body: @escaping @Sendable (Request, ServerContext) throws -> Response
    ) -> MethodHandler {
        .immediate { bytes, context in
            try body(Request(serializedBytes: bytes), context).serializedBytes()
        }
    }

    /// A server-streaming handler over typed messages.
    /// - Parameters:
    ///   - request: the request type.
    ///   - response: the response type.
    ///   - body: the handler; it sends responses through the writer.
    public static func serverStreaming<Request: RPCMessage, Response: RPCMessage>(
        _ request: Request.Type, _ response: Response.Type,
        _ body: @escaping @Sendable (Request, ServerContext, ResponseWriter<Response>) async throws -> Void
    ) -> MethodHandler {
        .serverStreaming { bytes, context, writer in
            try await body(Request(serializedBytes: bytes), context, ResponseWriter(raw: writer))
        }
    }

    /// A bidirectional-streaming handler over typed messages.
    /// - Parameters:
    ///   - request: the request type.
    ///   - response: the response type.
    ///   - body: the handler; it reads requests as they come and sends responses.
    public static func bidirectionalStreaming<Request: RPCMessage, Response: RPCMessage>(
        _ request: Request.Type, _ response: Response.Type,
        _ body: @escaping @Sendable (RequestStream<Request>, ServerContext, ResponseWriter<Response>) async throws -> Void
    ) -> MethodHandler {
        .bidirectionalStreaming { requests, context, writer in
            try await body(RequestStream(raw: requests), context, ResponseWriter(raw: writer))
        }
    }
}

/// A gRPC service: its full name and its methods by short name.
public struct ServiceDefinition: Sendable {
    /// The full service name, e.g. `grpc.health.v1.Health`.
    public let name: String
    /// The methods by short name, e.g. `Check`.
    public let methods: [String: MethodHandler]

    /// Creates a service definition.
    /// - Parameters:
    ///   - name: the full service name.
    ///   - methods: the handlers by short method name.
    public init(name: String, methods: [String: MethodHandler]) {
        self.name = name
        self.methods = methods
    }
}
