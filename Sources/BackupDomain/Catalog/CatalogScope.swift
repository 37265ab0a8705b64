/// What a BackupCatalog call is about: whose backups (the CHI's namespace and name), where
/// they live (the CHB's S3 destination), and the call's parameters, validated.
public struct CatalogScope: Sendable {
    public enum Operation: String, Sendable { case list, get, delete, retention, cleanBroken, verify }

    public let s3: S3Destination
    /// The CHB's namespace: its secret references name Secrets there.
    public var secretsNamespace: String? = nil
    /// `parameters["region"]`: the SigV4 region for the catalog's requests (nil: the server's).
    public var region: String? = nil
    /// `NAMESPACE/CHI/` below the destination's prefix.
    public let catalogKey: String
    /// `NAMESPACE/CHI`, as logs and metrics name a CHI.
    public var chi: String { String(catalogKey.dropLast()) }
    public let backupName: String?
    public let force: Bool
    /// ApplyRetention's rules.
    public let rules: RetentionRules
    public var keepFullChains: Int? { rules.keepFullChains }
    /// Seconds.
    public var maxAge: Int64? { rules.maxAge }
    /// CleanBroken: an in-progress backup older than this (seconds) counts as abandoned.
    public let olderThan: Int64
    public let dryRun: Bool
    /// VerifyBackup: the host that reads the backup (nil: one per part).
    public var host: String? = nil
    /// ListBackups: at most this many backups per answer, after `pageToken` (the last name of
    /// the page before); `rebuildIndex` reads every manifest (after editing them by hand).
    public var pageSize: Int? = nil
    public var pageToken: String? = nil
    public var rebuildIndex = false

    static let known: [Operation: [String]] = [
        .list: ["region", "page_size", "page_token", "rebuild_index"], .get: ["backup_name", "region"], .delete: ["backup_name", "force", "dry_run", "region"],
        .retention: RetentionRules.keys + ["dry_run", "region"], .cleanBroken: ["older_than", "dry_run", "region"],
        .verify: ["backup_name", "host", "region"],
    ]

    /// - Throws: ``DomainError`` `.invalidArgument` with every problem and its path.
    public static func decode(_ operation: Operation, chiDefinition: [UInt8], backupDefinition: [UInt8],
                              parameters raw: [String: String]) throws(DomainError) -> CatalogScope {
        let log = IssueLog()
        let backupRoot = Planner.parseDocument(backupDefinition, name: "backup_definition", log: log)
        let definition = BackupDefinition.decode(backupRoot)
        if backupRoot.object != nil, backupRoot["spec"]["backup"]["s3"].isMissing {
            backupRoot["spec"]["backup"]["s3"].issue("is required: the catalog lives in the S3 destination")
        }
        // The CHI's namespace and name: from chi_definition when given, else the CHB's target.
        var namespace = definition?.namespace, chiName = definition?.chiName
        if !chiDefinition.isEmpty {
            let chiRoot = Planner.parseDocument(chiDefinition, name: "chi_definition", log: log)
            chiName = chiRoot["metadata"]["name"].requiredString
            namespace = chiRoot["metadata"]["namespace"].string ?? "default"
        } else if definition != nil, chiName == nil {
            backupRoot["spec"]["ClickhouseInstallation"]["name"].issue("is required when chi_definition is empty")
        }

        var backupName: String?, force = false, dryRun = false, rules = RetentionRules(), olderThan: Int64 = 86400, region: String?, host: String?
        var pageSize: Int?, pageToken: String?, rebuildIndex = false
        let known = Self.known[operation] ?? []
        for key in raw.keys.sorted() {
            let value = raw[key]!
            let path = "parameters[\(BoundedText.quoted(key))]"
            func flag() -> Bool {
                switch value.lowercased() {
                case "true", "1", "yes": return true
                case "false", "0", "no", "": return false
                default: log.add(path, "must be true or false, not \(BoundedText.quoted(value))"); return false
                }
            }
            switch key {
            case "backup_name" where known.contains(key):
                if KubernetesNames.isSubdomain(value) { backupName = value } else { log.add(path, "must be a backup name, not \(BoundedText.quoted(value))") }
            case "force" where known.contains(key): force = flag()
            case "dry_run" where known.contains(key): dryRun = flag()
            case _ where known.contains(key) && RetentionRules.keys.contains(key):
                if let reason = rules.set(key, value) { log.add(path, reason) }
            case "page_size" where known.contains(key):
                if let size = Int(value), (1...10_000).contains(size) { pageSize = size } else { log.add(path, "must be a count from 1 to 10000, not \(BoundedText.quoted(value))") }
            case "page_token" where known.contains(key):
                if KubernetesNames.isSubdomain(value) { pageToken = value } else { log.add(path, "must be a next_page_token of an earlier answer, not \(BoundedText.quoted(value))") }
            case "rebuild_index" where known.contains(key): rebuildIndex = flag()
            case "host" where known.contains(key):
                if KubernetesNames.isSubdomain(value) { host = value } else { log.add(path, "must be a host name of the CHI, not \(BoundedText.quoted(value))") }
            case "region" where known.contains(key):
                if OperationParameters.isRegion(value) { region = value } else { log.add(path, "must be an S3 region name such as eu-west-1, not \(BoundedText.quoted(value))") }
            case "older_than" where known.contains(key):
                if let seconds = OperationParameters.parseDuration(value) { olderThan = seconds } else { log.add(path, "must be a duration such as 1d or 6h, not \(BoundedText.quoted(value))") }
            default:
                log.add(path, "is not a parameter of this call; known: \(known.isEmpty ? "none" : known.joined(separator: ", "))")
            }
        }
        if [.get, .delete].contains(operation), backupName == nil, raw["backup_name"] == nil {
            log.add("parameters[\"backup_name\"]", "is required: name the backup")
        }
        if operation == .retention, rules.isEmpty, !raw.keys.contains(where: RetentionRules.keys.contains) {
            log.add("parameters", "needs a retention rule (\(RetentionRules.keys.joined(separator: ", "))): say what to keep")
        }
        guard log.issues.isEmpty, let s3 = definition?.s3, let namespace, let chiName else { throw .invalid(log.issues) }
        var scope = CatalogScope(s3: s3, catalogKey: "\(namespace)/\(chiName)/", backupName: backupName, force: force,
                                 rules: rules, olderThan: olderThan, dryRun: dryRun)
        scope.secretsNamespace = definition?.namespace
        scope.region = region
        scope.host = host
        (scope.pageSize, scope.pageToken, scope.rebuildIndex) = (pageSize, pageToken, rebuildIndex)
        return scope
    }
}
