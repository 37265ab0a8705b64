import BackupDomain
import BackupProtocol
import RPCRuntime

/// `grpc.health.v1.Health`: Check and Watch per service name, as the protocol specifies
/// (Check on an unknown service is NOT_FOUND; Watch reports SERVICE_UNKNOWN and waits).
public struct HealthServiceProvider: Sendable {
    public static let serviceName = "grpc.health.v1.Health"
    private let health: HealthStatus

    public init(health: HealthStatus) { self.health = health }

    public var definition: ServiceDefinition {
        let health = self.health
        return ServiceDefinition(name: Self.serviceName, methods: [
            "Check": .immediate(HealthCheckRequest.self, HealthCheckResponse.self) { request, _ in
                guard let status = health.status(of: request.service) else {
                    throw DomainError(.notFound, "unknown service \(request.service)")
                }
                return HealthCheckResponse(status: status)
            },
            "Watch": .serverStreaming(HealthCheckRequest.self, HealthCheckResponse.self) { request, _, writer in
                for await status in health.updates(for: request.service) {
                    try await writer.send(HealthCheckResponse(status: status))
                }
            },
        ])
    }
}
