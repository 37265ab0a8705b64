extension BackupDefinition {
    /// The plugin name a CHB may ask for in `spec.pluginConfiguration.name`.
    public static let pluginName = "clickhouse.backup.altinity.com"

    /// Decodes and validates a CHB or CHSB; every problem goes to `root`'s issue log.
    /// - Parameter root: the document's root node.
    /// - Returns: the definition, or nil when a problem prevented building it.
    public static func decode(_ root: JSONNode) -> BackupDefinition? {
        guard root.object != nil else {
            if root.isMissing { root.issue("is required (the ClickHouseBackup as JSON)") }
            return nil
        }
        let metadata = root["metadata"]
        _ = metadata.object
        let name = metadata["name"].requiredString
        if let name, !KubernetesNames.isSubdomain(name) {
            metadata["name"].issue("must be a Kubernetes object name (lower-case letters, digits, '-', '.'), not \(BoundedText.quoted(name))")
        }
        let namespace = metadata["namespace"].optionalString ?? "default"
        if !KubernetesNames.isLabel(namespace) {
            metadata["namespace"].issue("must be a Kubernetes namespace name, not \(BoundedText.quoted(namespace))")
        }
        let spec = root["spec"]
        _ = spec.object
        let kindText = root["kind"].string
        let isScheduled = kindText == "ClickHouseScheduledBackup" || !spec["schedule"].isUnset
        let kind: Kind = isScheduled ? .scheduled(schedule: spec["schedule"].string) : .backup
        if let method = spec["method"].optionalString, method != "plugin" {
            spec["method"].issue("must be \"plugin\" for this plugin, not \(BoundedText.quoted(method))")
        }
        if let plugin = spec["pluginConfiguration"]["name"].optionalString, plugin != pluginName {
            spec["pluginConfiguration"]["name"].issue("names plugin \(BoundedText.quoted(plugin)); this is \(pluginName)")
        }
        let target = spec["ClickhouseInstallation"]
        _ = target.object
        // `"cluster": {}` (as the operator sends an unset reference) names no cluster.
        let chiName = target["name"].optionalString
        let clusterName = target["cluster"]["name"].optionalString
        let backup = spec["backup"]
        _ = backup.object
        let filter = TableFilter(whiteList: patterns(backup["dbTable"]["whiteList"]),
                                 blackList: patterns(backup["dbTable"]["blackList"]))
        let s3 = decodeS3(backup["s3"])
        guard let name else { return nil }
        return BackupDefinition(kind: kind, name: name, namespace: namespace, uid: metadata["uid"].string,
                                chiName: chiName, clusterName: clusterName, filter: filter, s3: s3)
    }

    private static func patterns(_ node: JSONNode) -> [TablePattern] {
        (node.items ?? []).compactMap { item -> TablePattern? in
            guard let text = item.string else { return nil }
            do throws(PatternError) {
                return try TablePattern(parsing: text)
            } catch {
                item.issue("\(BoundedText.quoted(text)) \(error.message)")
                return nil
            }
        }
    }

    private static func decodeS3(_ node: JSONNode) -> S3Destination? {
        guard !node.isUnset, node.object != nil else { return nil }
        let pathNode = node["destinationPath"]
        var bucket: String?, prefix = ""
        if let path = pathNode.requiredString {
            if let parsed = parseDestination(path) {
                (bucket, prefix) = parsed
            } else {
                pathNode.issue("must be s3://BUCKET/PREFIX/ with a valid bucket name, not \(BoundedText.quoted(path))")
            }
        }
        var endpoint: String?
        if let text = node["endpointURL"].string, !text.isEmpty {
            endpoint = parseEndpoint(text)
            if endpoint == nil {
                node["endpointURL"].issue("must be http(s)://HOST[:PORT] with no path, query or credentials, not \(BoundedText.quoted(text))")
            }
        }
        let credentials = decodeCredentials(node["s3Credentials"])
        guard let bucket else { return nil }
        return S3Destination(bucket: bucket, prefix: prefix, endpoint: endpoint, credentials: credentials)
    }

    /// `s3://bucket/prefix` → bucket and a prefix ending in `/` (or empty).
    static func parseDestination(_ text: String) -> (String, String)? {
        guard text.hasPrefix("s3://") else { return nil }
        let rest = text.dropFirst(5)
        let bucket = String(rest.prefix { $0 != "/" })
        guard isBucketName(bucket) else { return nil }
        var prefix = String(rest.dropFirst(bucket.count)).trimmingSlashes
        if !prefix.isEmpty { prefix += "/" }
        guard !prefix.contains("//"), prefix.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else { return nil }
        return (bucket, prefix)
    }

    /// S3 bucket naming rules: 3-63 of `a-z 0-9 . -`, alphanumeric at both ends.
    static func isBucketName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { return false }
        func alnum(_ b: UInt8) -> Bool { (0x61...0x7A).contains(b) || (0x30...0x39).contains(b) }
        return alnum(bytes.first!) && alnum(bytes.last!) && bytes.allSatisfy { alnum($0) || $0 == 0x2D || $0 == 0x2E }
    }

    /// `http(s)://host[:port][/]` → without the trailing slash; anything else → nil.
    static func parseEndpoint(_ text: String) -> String? {
        let scheme: String
        if text.hasPrefix("http://") { scheme = "http://" } else if text.hasPrefix("https://") { scheme = "https://" } else { return nil }
        var authority = String(text.dropFirst(scheme.count))
        if authority.hasSuffix("/") { authority.removeLast() }
        let allowed: (Character) -> Bool = { $0.isASCII && ($0.isLetter || $0.isNumber || "-.:[]".contains($0)) }
        guard !authority.isEmpty, authority.allSatisfy(allowed) else { return nil }
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            guard let port = Int(authority[authority.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        }
        return scheme + authority
    }

    /// The two references, or nil when neither is set: the operator sends a CHB without keys
    /// (the servers' own or IAM credentials) as `{"accessKeyId":{},"secretAccessKey":{}}`.
    private static func decodeCredentials(_ node: JSONNode) -> S3Destination.Credentials? {
        guard !node.isUnset, node.object != nil else { return nil }
        let accessKey = secretReference(node["accessKeyId"])
        let secretKey = secretReference(node["secretAccessKey"])
        guard let accessKey, let secretKey else { return nil }
        return S3Destination.Credentials(accessKeyID: accessKey, secretAccessKey: secretKey)
    }

    private static func secretReference(_ node: JSONNode) -> SecretReference? {
        guard !node.isUnset, node.object != nil else {
            if node.isUnset { node.issue("is required when the other key of s3Credentials is set ({\"name\": SECRET, \"key\": KEY})") }
            return nil
        }
        let name = node["name"].requiredString
        let key = node["key"].requiredString
        if let name, !KubernetesNames.isSubdomain(name) {
            node["name"].issue("must be a Kubernetes Secret name, not \(BoundedText.quoted(name))")
        }
        if let key, !isSecretKey(key) {
            node["key"].issue("must be a Secret key (letters, digits, '-', '_', '.'), not \(BoundedText.quoted(key))")
        }
        guard let name, let key else { return nil }
        return SecretReference(name: name, key: key)
    }

    static func isSecretKey(_ key: String) -> Bool {
        !key.isEmpty && key.utf8.count <= 253 && key != "." && key != ".."
            && key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }
}

extension String {
    var trimmingSlashes: String {
        String(drop { $0 == "/" }.reversed().drop { $0 == "/" }.reversed())
    }
}
