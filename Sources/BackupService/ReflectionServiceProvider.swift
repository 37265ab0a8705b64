import BackupProtocol
import RPCRuntime

/// gRPC server reflection (`grpc.reflection.v1` and `v1alpha`), so grpcurl and other tools
/// can list, describe and call the services with no .proto files at hand.
public struct ReflectionServiceProvider: Sendable {
    public static let serviceNames = ["grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]
    private let descriptors: DescriptorSet
    private let services: [String]

    /// - Parameters:
    ///   - descriptors: the files describing the services.
    ///   - services: the full names of the services the server serves, listed as such.
    public init(descriptors: DescriptorSet = .embedded, services: [String]) {
        self.descriptors = descriptors
        self.services = services.sorted()
    }

    /// One definition per protocol version; the messages are the same on the wire.
    public var definitions: [ServiceDefinition] {
        Self.serviceNames.map { name in
            ServiceDefinition(name: name, methods: [
                "ServerReflectionInfo": .bidirectionalStreaming(ReflectionRequest.self, ReflectionResponse.self) { requests, _, writer in
                    for try await request in requests {
                        try await writer.send(answer(request))
                    }
                },
            ])
        }
    }

    /// The answer to one reflection request.
    public func answer(_ request: ReflectionRequest) -> ReflectionResponse {
        let notFound = { (what: String) in ReflectionResponse.Answer.error(code: StatusCode.notFound.rawValue, message: what) }
        let answer: ReflectionResponse.Answer
        switch request.query {
        case .listServices:
            answer = .services(services)
        case .fileByFilename(let name):
            answer = descriptors.file(named: name).map { .fileDescriptors(descriptors.withDependencies($0).map(\.serialized)) }
                ?? notFound("file not found: \(name)")
        case .fileContainingSymbol(let symbol):
            answer = descriptors.file(containing: symbol).map { .fileDescriptors(descriptors.withDependencies($0).map(\.serialized)) }
                ?? notFound("symbol not found: \(symbol)")
        case .fileContainingExtension(let type, let number):
            answer = notFound("no extension \(number) of \(type): these services declare no extensions")
        case .allExtensionNumbersOfType(let type):
            answer = descriptors.file(containing: type) != nil
                ? .extensionNumbers(baseType: type, numbers: [])
                : notFound("type not found: \(type)")
        case .none:
            answer = .error(code: StatusCode.invalidArgument.rawValue, message: "the request asks nothing")
        }
        return ReflectionResponse(validHost: request.host, originalRequest: request, answer: answer)
    }
}
