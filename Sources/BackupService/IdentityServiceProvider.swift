import BackupProtocol
import RPCRuntime

/// `altinity.identity.v1.Identity`, after CNPG-I.
public struct IdentityServiceProvider: Sendable {
    public static let serviceName = "altinity.identity.v1.Identity"
    private let health: HealthStatus

    /// - Parameter health: Probe answers ready when the server is SERVING.
    public init(health: HealthStatus) { self.health = health }

    public static let capabilities = PluginCapabilities([
        PluginCapability(kind: .backup, service: BackupServiceProvider.serviceName),
        PluginCapability(kind: .restore, service: BackupServiceProvider.serviceName),
        PluginCapability(kind: .dryRun, service: BackupServiceProvider.serviceName),
    ])

    public var definition: ServiceDefinition {
        let health = self.health
        return ServiceDefinition(name: Self.serviceName, methods: [
            "GetPluginMetadata": .immediate(EmptyRequest.self, PluginMetadata.self) { _, _ in PluginInfo.metadata },
            "GetPluginCapabilities": .immediate(EmptyRequest.self, PluginCapabilities.self) { _, _ in Self.capabilities },
            "Probe": .immediate(EmptyRequest.self, ProbeResponse.self) { _, _ in
                ProbeResponse(ready: health.status(of: "") == .serving)
            },
        ])
    }
}
