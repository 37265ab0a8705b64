import BackupProtocol
import RPCRuntime

/// Every service the plugin serves, wired together.
public struct PluginServices: Sendable {
    public let health: HealthStatus
    public let definitions: [ServiceDefinition]

    /// - Parameter backup: the Backup service (tests may pass one with a fixed clock).
    public init(backup: BackupServiceProvider) {
        let served = [BackupServiceProvider.serviceName, IdentityServiceProvider.serviceName, HealthServiceProvider.serviceName]
            + ReflectionServiceProvider.serviceNames
        let health = HealthStatus(services: served)
        self.health = health
        self.definitions = [
            backup.definition,
            IdentityServiceProvider(health: health).definition,
            HealthServiceProvider(health: health).definition,
        ] + ReflectionServiceProvider(services: served).definitions
    }
}
