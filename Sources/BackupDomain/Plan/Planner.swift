/// Decides an operation from the request alone: validates both documents and the
/// parameters (every problem at once), picks the hosts, the location and the SQL.
/// Pure: no I/O; `now` is passed in.
public enum Planner {
    /// The backup/restore request as the service receives it.
    public struct Request: Sendable {
        public var chiDefinition: [UInt8]
        public var backupDefinition: [UInt8]
        public var parameters: [String: String]
        /// `backup_restore_s3_retry_attempts` for S3 destinations (the server's
        /// `--s3-retry-attempts`); nil leaves ClickHouse's default.
        public var s3RetryAttempts: Int?
        /// The policy file's policies: the first that matches fills the parameters the request
        /// does not set.
        public var policies: PolicySet
        /// The SHA-256 that names operations (OpenSSL's, from the service: `Digest.openSSL`).
        public var digest: Digest

        public init(chiDefinition: [UInt8], backupDefinition: [UInt8], parameters: [String: String], s3RetryAttempts: Int? = nil,
                    policies: PolicySet = PolicySet(), digest: Digest) {
            self.chiDefinition = chiDefinition
            self.backupDefinition = backupDefinition
            self.parameters = parameters
            self.s3RetryAttempts = s3RetryAttempts
            self.policies = policies
            self.digest = digest
        }
    }

    /// Plans `operation`.
    /// - Parameters:
    ///   - now: Unix seconds of the call (names scheduled backups and restores).
    /// - Throws: ``DomainError`` `.invalidArgument` listing every problem with its path.
    public static func plan(_ operation: OperationParameters.Operation, _ request: Request, now: Int64) throws(DomainError) -> OperationPlan {
        let log = IssueLog()
        let chiRoot = parseDocument(request.chiDefinition, name: "chi_definition", log: log)
        let backupRoot = parseDocument(request.backupDefinition, name: "backup_definition", log: log)
        let chi = ClickHouseInstallation.decode(chiRoot)
        let definition = BackupDefinition.decode(backupRoot)
        let (raw, policy) = policyParameters(operation, request, chi: chi, definition: definition, roots: (chiRoot, backupRoot))
        let parameters = OperationParameters.parse(raw, for: operation, log: log)
        let s3Node = backupRoot["spec"]["backup"]["s3"]
        if backupRoot.object != nil, s3Node.isUnset, parameters.disk == nil {
            s3Node.issue("is required (or name a backup disk in parameters[\"disk\"])")
        }
        // Cross-document checks run whenever both documents decoded, so that one answer lists
        // every problem rather than the first stage's only.
        guard let chi, let definition else { throw .invalid(log.issues) }

        let target = backupRoot["spec"]["ClickhouseInstallation"]
        if operation == .backup, let named = definition.chiName, named != chi.name {
            target["name"].issue("names ClickHouseInstallation \(BoundedText.quoted(named)), but chi_definition is \(BoundedText.quoted(chi.name))")
        }
        let cluster = chooseCluster(chi, named: definition.clusterName, at: target["cluster"]["name"])
        let recovery = operation == .restore && parameters.backupName == nil ? recoveryReference(chiRoot) : nil
        let backupName = recovery ?? chooseBackupName(operation, definition, parameters, now: now, log: log)
        guard let cluster, let backupName, log.issues.isEmpty else { throw .invalid(log.issues) }

        let sourceCHI = operation == .backup ? (chi.namespace, chi.name) : (definition.namespace, definition.chiName ?? chi.name)
        let rootKey = "\(sourceCHI.0)/\(sourceCHI.1)/\(backupName)/"
        let rootURI = destination(definition.s3, disk: parameters.disk, key: rootKey).1
        let id = operationID(operation, definition, digest: request.digest, chi: chi, cluster: cluster.name, backupName: backupName, location: rootURI,
                             parameters: parameters)
        let elements = statementElements(operation, definition.filter, parameters)
        if let elements, elements.isEmpty {
            backupRoot["spec"]["backup"]["dbTable"].issue("selects no table: the black list removes everything the white list takes")
            throw .invalid(log.issues)
        }
        let shardIndexes = Set(cluster.shards.map(\.index))
        for pair in parameters.shardMapping where !shardIndexes.contains(pair.target) {
            log.add("parameters[\"shard_mapping\"]", "maps onto shard \(pair.target), which cluster \(BoundedText.quoted(cluster.name)) does not have (it has \(cluster.shards.count))")
            throw .invalid(log.issues)
        }
        let sources = sourceShards(cluster, parameters)
        // Per host, one candidate per backup shard it restores (several when shard_mapping
        // merges shards: the later ones with allow_non_empty_tables, run one after another).
        let candidates = cluster.shards.flatMap { shard in
            shard.replicas.flatMap { host -> [PlannedHost] in
                let merged = sources[shard.index] ?? []
                return merged.enumerated().map { position, source -> PlannedHost in
                    let shardKey = parameters.replicas == .all ? "shard-\(source)-replica-\(host.replicaIndex)/" : "shard-\(source)/"
                    let (destination, location) = Self.destination(definition.s3, disk: parameters.disk, key: rootKey + shardKey)
                    let operationID = "\(id)-s\(host.shardIndex)-r\(host.replicaIndex)" + (merged.count > 1 ? "-from\(source)" : "")
                    var hostSettings = settings(operation, parameters, id: operationID)
                    // A dead S3 endpoint makes ClickHouse retry for many minutes: bounded here.
                    if let attempts = request.s3RetryAttempts, parameters.disk == nil {
                        hostSettings.append(("backup_restore_s3_retry_attempts", .integer(attempts)))
                    }
                    if position > 0, !parameters.allowNonEmptyTables { hostSettings.append(("allow_non_empty_tables", .bool(true))) }
                    let statement = elements.map {
                        BackupStatement(verb: operation == .backup ? .backup : .restore, elements: $0, destination: destination,
                                        settings: hostSettings)
                    }
                    return PlannedHost(host: host, reason: reason(host, in: shard, parameters.replicas), role: .data, sourceShard: source,
                                       shardKey: shardKey, operationID: operationID, location: location, statement: statement,
                                       destination: destination, settings: hostSettings)
                }
            }
        }
        let hosts = parameters.replicas == .all ? candidates : cluster.shards.flatMap { shard in
            let first = candidates.first { $0.host.shardIndex == shard.index }?.host
            return candidates.filter { $0.host == first }
        }
        let (rootDestination, rootLocation) = destination(definition.s3, disk: parameters.disk, key: rootKey)
        let credentials: String
        if parameters.disk != nil {
            credentials = "backup disk \(parameters.disk!) configured on the servers"
        } else if let refs = definition.s3?.credentials {
            credentials = "access key from \(refs.accessKeyID), secret key from \(refs.secretAccessKey)"
        } else {
            credentials = "the servers' own S3 credentials (no keys in the statement)"
        }
        let name = operation == .backup ? backupName : "\(backupName)-restore-\(UTCTime(unixSeconds: now).compact)"
        return OperationPlan(
            operation: operation, id: id, name: name, backupName: backupName, chi: chi, cluster: cluster.name,
            location: rootLocation, endpoint: parameters.disk == nil ? definition.s3?.endpoint : nil, credentials: credentials,
            filter: definition.filter, tables: describe(definition.filter), hosts: hosts, candidates: candidates,
            shardCount: cluster.shards.count, parameters: parameters,
            definition: definition, rootDestination: rootDestination, catalogKey: "\(sourceCHI.0)/\(sourceCHI.1)/", policy: policy)
    }

    /// The request's parameters filled from the first policy that matches the CHB (its
    /// namespace, name and labels) and the CHI (name and labels).
    private static func policyParameters(_ operation: OperationParameters.Operation, _ request: Request, chi: ClickHouseInstallation?,
                                         definition: BackupDefinition?, roots: (chi: JSONNode, backup: JSONNode))
        -> (parameters: [String: String], policy: String?)
    {
        guard !request.policies.policies.isEmpty, let chi, let definition else { return (request.parameters, nil) }
        func labels(_ root: JSONNode) -> [String: String] {
            guard case .object(let members)? = root.value?["metadata"]?["labels"] else { return [:] }
            return members.compactMapValues { if case .string(let text) = $0 { return text } else { return nil } }
        }
        let subject = PolicySet.Subject(namespace: definition.namespace, chi: chi.name, chb: definition.name,
                                        labels: labels(roots.backup), chiLabels: labels(roots.chi))
        return request.policies.parameters(request.parameters, for: operation, subject: subject)
    }

    static func parseDocument(_ bytes: [UInt8], name: String, log: IssueLog) -> JSONNode {
        if bytes.isEmpty { return JSONNode(nil, document: name, log: log) }
        do {
            return JSONNode(try JSONParser.parse(bytes), document: name, log: log)
        } catch {
            log.add("\(name): (root)", "is not valid JSON (\(error))")
            return JSONNode(.object([:]), document: name, log: IssueLog())  // parse failure already logged
        }
    }

    private static func chooseCluster(_ chi: ClickHouseInstallation, named: String?, at node: JSONNode) -> Cluster? {
        let names = chi.clusters.map { BoundedText.quoted($0.name) }.joined(separator: ", ")
        if let named {
            if let cluster = chi.cluster(named: named) { return cluster }
            node.issue("names cluster \(BoundedText.quoted(named)), which the CHI does not have (it has \(names))")
            return nil
        }
        if chi.clusters.count == 1 { return chi.clusters[0] }
        node.issue("is required: the CHI has \(chi.clusters.count) clusters (\(names))")
        return nil
    }

    /// A new CHI restored from a backup at birth: `spec.bootstrap.recovery.backupRef` names the
    /// backup (`{"name": ...}` or a plain string) unless `parameters["backup_name"]` does.
    private static func recoveryReference(_ chiRoot: JSONNode) -> String? {
        let reference = chiRoot["spec"]["bootstrap"]["recovery"]["backupRef"]
        guard !reference.isMissing else { return nil }
        var node = reference["name"]
        if case .string? = reference.value { node = reference }  // the short form: a plain string
        guard let name = node.requiredString else { return nil }
        guard KubernetesNames.isSubdomain(name) else {
            node.issue("must be a backup name, not \(BoundedText.quoted(name))")
            return nil
        }
        return name
    }

    private static func chooseBackupName(_ operation: OperationParameters.Operation, _ definition: BackupDefinition,
                                         _ parameters: OperationParameters, now: Int64, log: IssueLog) -> String? {
        if operation == .restore {
            if let name = parameters.backupName { return name }
            if case .scheduled = definition.kind {
                log.add("parameters[\"backup_name\"]", "is required to restore from a ClickHouseScheduledBackup: name one of its backups")
                return nil
            }
            return definition.name
        }
        if case .scheduled = definition.kind { return "\(definition.name)-\(UTCTime(unixSeconds: now).compact)" }
        return definition.name
    }

    /// Deterministic for the same backup: the CHB's uid when it has one, else namespace/name
    /// (and, for a schedule, the run's name), with where it goes: the same CHB pointed at
    /// another bucket or prefix is another backup, and must not find the first one's id in
    /// ClickHouse. A restore's id is as stable, per (CHB, backup, target): the target CHI and
    /// cluster and whatever decides what is written where (lists, renames, shard mapping,
    /// structure only, replicas). A retried restore then finds its own operation in
    /// `system.backups` and follows it instead of starting a second one into the same tables.
    private static func operationID(_ operation: OperationParameters.Operation, _ definition: BackupDefinition, digest: Digest,
                                    chi: ClickHouseInstallation, cluster: String, backupName: String, location: String,
                                    parameters: OperationParameters) -> String {
        let identity = definition.uid.map { "uid:\($0)" } ?? "name:\(definition.namespace)/\(definition.name)"
        switch operation {
        case .backup:
            let scheduled: String
            if case .scheduled = definition.kind { scheduled = "@" + backupName } else { scheduled = "" }
            return "chb-" + digest.hex("backup\n\(identity)\(scheduled)\n\(location)").prefix(24)
        case .restore:
            let filter = definition.filter
            let target = [
                "\(chi.namespace)/\(chi.name)/\(cluster)",
                "white:" + filter.whiteList.map(\.source).joined(separator: "\u{1}"),
                "black:" + filter.blackList.map(\.source).joined(separator: "\u{1}"),
                "databases:" + parameters.databaseMapping.map { "\($0.source)>\($0.target)" }.joined(separator: ","),
                "shards:" + parameters.shardMapping.map { "\($0.source)>\($0.target)" }.joined(separator: ","),
                "structure_only:\(parameters.structureOnly)", "replicas:\(parameters.replicas.rawValue)",
            ].joined(separator: "\n")
            return "chr-" + digest.hex("restore\n\(identity)\n\(backupName)\n\(location)\n\(target)").prefix(24)
        }
    }

    private static func reason(_ host: Host, in shard: Shard, _ replicas: OperationParameters.Replicas) -> String {
        switch replicas {
        case .all: return "parameters[\"replicas\"] = all: every replica of shard \(shard.index)"
        case .first where shard.replicas.count == 1: return "the only replica of shard \(shard.index)"
        case .first:
            return "replica \(host.replicaIndex) of \(shard.replicas.count) of shard \(shard.index): the first that answers takes the shard's data"
        }
    }

    /// The backup shards each target shard reads, in order: itself, or what `shard_mapping`
    /// says (a restore; target shards no source maps to are left out).
    private static func sourceShards(_ cluster: Cluster, _ parameters: OperationParameters) -> [Int: [Int]] {
        guard !parameters.shardMapping.isEmpty else {
            return Dictionary(uniqueKeysWithValues: cluster.shards.map { ($0.index, [$0.index]) })
        }
        return Dictionary(grouping: parameters.shardMapping, by: \.target).mapValues { $0.map(\.source) }
    }

    static func destination(_ s3: S3Destination?, disk: String?, key: String) -> (BackupDestination, String) {
        if let disk { return (.disk(name: disk, path: key), "disk:\(disk):\(key)") }
        let s3 = s3!  // checked in plan(): either a disk or an S3 destination
        let fullKey = s3.prefix + key
        let credentials = s3.credentials
        return (.s3(url: s3.url(forKey: fullKey),
                    accessKeyID: credentials.map { .reference($0.accessKeyID) },
                    secretAccessKey: credentials.map { .reference($0.secretAccessKey) }),
                s3.s3URI(forKey: fullKey))
    }

    private static func settings(_ operation: OperationParameters.Operation, _ parameters: OperationParameters,
                                 id: String) -> [(name: String, value: SettingValue)] {
        var settings: [(name: String, value: SettingValue)] = [("id", .string(id))]
        switch operation {
        case .backup:
            if let method = parameters.compressionMethod { settings.append(("compression_method", .string(method))) }
            if let level = parameters.compressionLevel { settings.append(("compression_level", .integer(level))) }
            if let bandwidth = parameters.maxBackupBandwidth { settings.append(("max_backup_bandwidth", .integer(Int(bandwidth)))) }
            if let storageClass = parameters.storageClass { settings.append(("s3_storage_class", .string(storageClass))) }
        case .restore:
            if parameters.allowNonEmptyTables { settings.append(("allow_non_empty_tables", .bool(true))) }
            if parameters.structureOnly { settings.append(("structure_only", .bool(true))) }
            if let mode = parameters.createTable { settings.append(("create_table", .string(mode))) }
            // Explicit: a replica restoring the structure only (structure_only) gets them too.
            if parameters.includeAccess { settings.append(("restore_access_entities", .bool(true))) }
            if parameters.includeFunctions { settings.append(("restore_functions", .bool(true))) }
            if let mode = parameters.createAccess { settings.append(("create_access", .string(mode))) }
            if let mode = parameters.createFunction { settings.append(("create_function", .string(mode))) }
        }
        if let nativeCopy = parameters.allowS3NativeCopy, parameters.disk == nil { settings.append(("allow_s3_native_copy", .bool(nativeCopy))) }
        return settings
    }

    private static func describe(_ filter: TableFilter) -> String {
        let black = filter.blackList.isEmpty ? "" : " except \(filter.blackList.map(\.description).joined(separator: ", "))"
        if filter.whiteList.isEmpty { return "all non-system tables\(black)" }
        let white = filter.whiteList.map(\.description).joined(separator: ", ")
        return filter.isStatic ? "\(white)\(black)" : "tables matching \(white)\(black), listed from system.tables at execution"
    }
}
