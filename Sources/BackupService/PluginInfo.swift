import BackupProtocol

/// Who the plugin is: reported by Identity and `--version`.
public enum PluginInfo {
    public static let name = "clickhouse.backup.altinity.com"
    public static let version = "0.1.0"
    public static let displayName = "ClickHouse Backup Plugin"
    public static let description = "Backs up and restores ClickHouse clusters of the Altinity clickhouse-operator with ClickHouse's own BACKUP/RESTORE to S3."
    public static let projectURL = "https://github.com/Altinity/clickhouse-operator"
    public static let repositoryURL = "https://github.com/Altinity/clickhouse-backup-plugin"
    public static let license = "Apache-2.0"
    public static let maturity = "alpha"
    public static let vendor = "Altinity"

    public static var metadata: PluginMetadata {
        PluginMetadata(name: name, version: version, displayName: displayName, description: description,
                       projectURL: projectURL, repositoryURL: repositoryURL, license: license,
                       maturity: maturity, vendor: vendor)
    }
}
