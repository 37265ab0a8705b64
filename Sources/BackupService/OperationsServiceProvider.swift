import BackupDomain
import BackupProtocol
import RPCRuntime

/// `altinity.backup.v1.Operations`: the Backup and Restore runs of this process.
public struct OperationsServiceProvider: Sendable {
    public static let serviceName = "altinity.backup.v1.Operations"
    private let registry: OperationRegistry

    public init(registry: OperationRegistry) { self.registry = registry }

    public var definition: ServiceDefinition {
        let registry = self.registry
        @Sendable func known(_ id: String) throws -> Operation {
            guard let operation = registry.get(id) else {
                throw DomainError(.notFound, "no operation \(id) in this process (ListOperations shows the last ones; "
                               + "a backup that outlived a restart is found by calling Backup again)")
            }
            return operation
        }
        return ServiceDefinition(name: Self.serviceName, methods: [
            "GetOperation": .unary(OperationRequest.self, Operation.self) { request, context in
                context.annotations["operation_id"] = request.operationID
                return try known(request.operationID)
            },
            "ListOperations": .unary(ListOperationsRequest.self, ListOperationsResponse.self) { request, _ in
                guard request.limit >= 0 else { throw DomainError(.invalidArgument, "limit: must be 0 (default 20) or more, not \(request.limit)") }
                return ListOperationsResponse(operations: registry.list(limit: request.limit == 0 ? 20 : Int(request.limit)))
            },
            "WatchOperation": .serverStreaming(OperationRequest.self, Operation.self) { request, context, writer in
                context.annotations["operation_id"] = request.operationID
                guard let updates = registry.watch(request.operationID) else { _ = try known(request.operationID); return }
                for await operation in updates { try await writer.send(operation) }
            },
            "CancelOperation": .unary(OperationRequest.self, Operation.self) { request, context in
                context.annotations["operation_id"] = request.operationID
                let operation = try known(request.operationID)
                guard !OperationRegistry.isTerminal(operation.state) else {
                    throw DomainError(.failedPrecondition, "operation \(request.operationID) already ended: \(operation.state)")
                }
                _ = registry.cancel(request.operationID)
                // Answer once it has stopped: its queries killed and its manifest written.
                if let updates = registry.watch(request.operationID) { for await _ in updates {} }
                return try known(request.operationID)
            },
        ])
    }
}
