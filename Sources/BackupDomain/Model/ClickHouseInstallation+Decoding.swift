extension ClickHouseInstallation {
    /// Most hosts one CHI may expand to (guards against `shardsCount: 100000000`).
    public static let maxHosts = 4096

    /// Decodes and validates a CHI; every problem goes to `root`'s issue log.
    /// - Parameter root: the document's root node.
    /// - Returns: the CHI, or nil when a problem prevented building it.
    public static func decode(_ root: JSONNode) -> ClickHouseInstallation? {
        guard root.object != nil else {
            if root.isMissing { root.issue("is required (the ClickHouseInstallation as JSON)") }
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
        let domainPattern = spec["namespaceDomainPattern"].optionalString
        if let domainPattern, domainPattern.occurrences(of: "%s") != 1 {
            spec["namespaceDomainPattern"].issue("must contain %s (the namespace) exactly once")
        }
        let clustersNode = spec["configuration"]["clusters"]
        var clusters: [Cluster] = []
        if let items = clustersNode.items {
            if items.isEmpty { clustersNode.issue("must list at least one cluster") }
            let naming = Naming(chi: name ?? "", namespace: namespace, domainPattern: domainPattern)
            for item in items {
                if let cluster = decodeCluster(item, naming: naming, hostsSoFar: clusters.reduce(0) { $0 + $1.hosts.count }) {
                    if clusters.contains(where: { $0.name == cluster.name }) {
                        item["name"].issue("repeats cluster \(BoundedText.quoted(cluster.name))")
                    }
                    clusters.append(cluster)
                }
            }
        } else if clustersNode.isMissing {
            // The operator's normalizer gives a CHI without clusters one cluster named
            // "cluster" of 1 x 1 (a CHI that only sets users or settings is still a server).
            let naming = Naming(chi: name ?? "", namespace: namespace, domainPattern: domainPattern)
            if let cluster = decodeCluster(JSONNode.synthesized(.object(["name": .string("cluster")]), at: clustersNode),
                                         naming: naming, hostsSoFar: 0) { clusters.append(cluster) }
        }
        let status = root["status"]
        applyStatusFQDNs(status["fqdns"], to: &clusters)
        let statusText = status.object == nil ? nil : status["status"].string
        guard let name else { return nil }
        return ClickHouseInstallation(name: name, namespace: namespace, uid: metadata["uid"].string,
                                      clusters: clusters, status: statusText)
    }

    struct Naming {
        let chi: String
        let namespace: String
        let domainPattern: String?
    }

    private static func decodeCluster(_ node: JSONNode, naming: Naming, hostsSoFar: Int) -> Cluster? {
        guard node.object != nil else { return nil }
        let name = node["name"].requiredString
        if let name { checkNamePart(name, at: node["name"], limit: OperatorNaming.clusterNameLimit) }
        let layout = node["layout"]
        _ = layout.object
        let defaults = HostDefaults(secure: node["secure"].flag ?? false)
        let shardsCount = layout["shardsCount"].integer(in: 0...maxHosts)
        let replicasCount = layout["replicasCount"].integer(in: 0...maxHosts)
        let shardNodes = layout["shards"].items ?? []
        let replicaNodes = layout["replicas"].items ?? []
        if !shardNodes.isEmpty && !replicaNodes.isEmpty {
            layout.issue("sets both shards and replicas; describe the layout one way")
        }
        // Refuse absurd expansions before allocating anything.
        let wanted = max(shardsCount ?? 1, shardNodes.count, 1) * max(replicasCount ?? 1, replicaNodes.count, 1)
        if hostsSoFar + wanted > maxHosts {
            layout.issue("expands to more than \(maxHosts) hosts")
            return nil
        }
        let grid = replicaNodes.isEmpty
            ? shardMajor(shardNodes, shardsCount: shardsCount, replicasCount: replicasCount)
            : replicaMajor(replicaNodes, shardsCount: shardsCount, replicasCount: replicasCount)
        guard let name else { return nil }
        let shards = grid.enumerated().map { shardIndex, slots in
            Shard(index: shardIndex, name: slots.first?.shardName ?? "\(shardIndex)", replicas: slots.enumerated().map { replicaIndex, slot in
                decodeHost(slot, shard: shardIndex, replica: replicaIndex, cluster: name, naming: naming, defaults: defaults)
            })
        }
        return Cluster(name: name, shards: shards)
    }

    /// A host position in the layout and the JSON that describes it, if any.
    struct HostSlot {
        let node: JSONNode?
        let shardName: String
        let defaultName: String
    }

    struct HostDefaults { let secure: Bool }

    /// `layout.shards[].replicas[]`: shard by shard, filled up to the counts.
    private static func shardMajor(_ shardNodes: [JSONNode], shardsCount: Int?, replicasCount: Int?) -> [[HostSlot]] {
        let shardTotal = max(shardsCount ?? 1, shardNodes.count, 1)
        return (0..<shardTotal).map { shardIndex in
            let shardNode = shardIndex < shardNodes.count ? shardNodes[shardIndex] : nil
            _ = shardNode?.object
            let shardName = shardNode?["name"].string ?? "\(shardIndex)"
            if let shardNode, shardNode["name"].string != nil {
                checkNamePart(shardName, at: shardNode["name"], limit: OperatorNaming.hostNameLimit)
            }
            let hostNodes = shardNode?["replicas"].items ?? []
            let ownCount = shardNode?["replicasCount"].integer(in: 0...maxHosts)
            let replicaTotal = max(ownCount ?? replicasCount ?? 1, hostNodes.count, 1)
            return (0..<replicaTotal).map { replicaIndex in
                HostSlot(node: replicaIndex < hostNodes.count ? hostNodes[replicaIndex] : nil, shardName: shardName,
                         defaultName: OperatorNaming.hostName(shard: shardName, replica: "\(replicaIndex)"))
            }
        }
    }

    /// `layout.replicas[].shards[]`: replica by replica, transposed to shards of replicas.
    private static func replicaMajor(_ replicaNodes: [JSONNode], shardsCount: Int?, replicasCount: Int?) -> [[HostSlot]] {
        let replicaTotal = max(replicasCount ?? 1, replicaNodes.count, 1)
        let columns: [(name: String, hosts: [JSONNode], count: Int)] = (0..<replicaTotal).map { replicaIndex in
            let replicaNode = replicaIndex < replicaNodes.count ? replicaNodes[replicaIndex] : nil
            _ = replicaNode?.object
            let hosts = replicaNode?["shards"].items ?? []
            let ownCount = replicaNode?["shardsCount"].integer(in: 0...maxHosts)
            return (replicaNode?["name"].string ?? "\(replicaIndex)", hosts, max(ownCount ?? shardsCount ?? 1, hosts.count, 1))
        }
        let shardTotal = columns.map(\.count).max() ?? 1
        return (0..<shardTotal).map { shardIndex in
            columns.map { column in
                HostSlot(node: shardIndex < column.hosts.count ? column.hosts[shardIndex] : nil, shardName: "\(shardIndex)",
                         defaultName: OperatorNaming.hostName(shard: "\(shardIndex)", replica: column.name))
            }
        }
    }

    private static func decodeHost(_ slot: HostSlot, shard: Int, replica: Int, cluster: String, naming: Naming, defaults: HostDefaults) -> Host {
        let node = slot.node
        _ = node?.object
        let name = node?["name"].string ?? slot.defaultName
        if let node, node["name"].string != nil { checkNamePart(name, at: node["name"], limit: OperatorNaming.hostNameLimit) }
        let ports = 1...65535
        let httpPort = node?["httpPort"].integer(in: ports) ?? 8123
        let httpsPort = node?["httpsPort"].integer(in: ports) ?? 8443
        let tcpPort = node?["tcpPort"].integer(in: ports) ?? node?["port"].integer(in: ports) ?? 9000
        let insecure = node?["insecure"].flag
        let secure = node?["secure"].flag ?? insecure.map { !$0 } ?? defaults.secure
        let fqdn = OperatorNaming.hostFQDN(chi: naming.chi, cluster: cluster, host: name,
                                           namespace: naming.namespace, domainPattern: naming.domainPattern)
        return Host(name: name, shardIndex: shard, replicaIndex: replica, fqdn: fqdn, fqdnSource: .naming,
                    httpPort: httpPort, httpsPort: httpsPort, tcpPort: tcpPort, secure: secure)
    }

    /// Names become parts of Service names and DNS addresses: after the operator's cut they
    /// must be lower-case letters, digits and '-'.
    private static func checkNamePart(_ name: String, at node: JSONNode, limit: Int) {
        if !KubernetesNames.isLabel(OperatorNaming.namePart(name, limit: limit)) {
            node.issue("must be usable in a host name (lower-case letters, digits, '-'), not \(BoundedText.quoted(name))")
        }
    }

    /// Uses `status.fqdns` when it lists exactly one address per host (the operator writes
    /// them in the same cluster/shard/replica order); otherwise keeps the derived names.
    private static func applyStatusFQDNs(_ node: JSONNode, to clusters: inout [Cluster]) {
        guard let items = node.items else { return }
        let fqdns = items.compactMap { item -> String? in
            guard let text = item.string else { return nil }
            if !KubernetesNames.isSubdomain(text) { item.issue("must be a DNS name, not \(BoundedText.quoted(text))"); return nil }
            return text
        }
        guard fqdns.count == items.count, fqdns.count == clusters.reduce(0, { $0 + $1.hosts.count }) else { return }
        var next = fqdns.makeIterator()
        for c in clusters.indices {
            for s in clusters[c].shards.indices {
                for r in clusters[c].shards[s].replicas.indices {
                    clusters[c].shards[s].replicas[r].fqdn = next.next()!
                    clusters[c].shards[s].replicas[r].fqdnSource = .status
                }
            }
        }
    }
}
