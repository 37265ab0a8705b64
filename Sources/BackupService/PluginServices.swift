import BackupProtocol
import RPCRuntime

/// Every service the plugin serves, wired together.
public struct PluginServices: Sendable {
    public let health: HealthStatus
    public let definitions: [ServiceDefinition]

    /// - Parameters:
    ///   - backup: the Backup service (tests may pass one with a fixed clock).
    ///   - catalog: the BackupCatalog service.
    public init(backup: BackupServiceProvider, catalog: CatalogServiceProvider = CatalogServiceProvider(environment: nil)) {
        let served = [BackupServiceProvider.serviceName, CatalogServiceProvider.serviceName, OperationsServiceProvider.serviceName,
                      IdentityServiceProvider.serviceName, HealthServiceProvider.serviceName]
            + ReflectionServiceProvider.serviceNames
        let health = HealthStatus(services: served)
        self.health = health
        self.definitions = [
            backup.definition,
            catalog.definition,
            OperationsServiceProvider(registry: backup.registry).definition,
            IdentityServiceProvider(health: health).definition,
            HealthServiceProvider(health: health).definition,
        ] + ReflectionServiceProvider(services: served).definitions
    }
}
