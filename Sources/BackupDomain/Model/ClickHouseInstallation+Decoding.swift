extension ClickHouseInstallation {
    /// Most hosts one CHI may expand to (guards against `shardsCount: 100000000`).
    public static let maxHosts = OperatorSpec.maxHosts

    /// Decodes a CHI and lays out its hosts exactly as the operator's normalizer does
    /// (`Operator/`: layout, names, templates, ports); every problem goes to `root`'s issue log.
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
        let specNode = root["spec"]
        checkDomainPattern(specNode["namespaceDomainPattern"], namespace: namespace)
        guard let spec = OperatorSpec.decode(specNode) else { return nil }
        var clusters = layOut(spec, chi: name ?? "", namespace: namespace)
        checkClusterNames(spec.clusters)
        let status = root["status"]
        let fromStatus = applyStatusFQDNs(status["fqdns"], to: &clusters)
        // A bad CHI name is reported once, not again in every Service name it is part of.
        checkAddresses(spec, clusters, namedByRules: !fromStatus && name.map(KubernetesNames.isSubdomain) == true)
        let statusText = status.object == nil ? nil : status["status"].string
        guard let name else { return nil }
        return ClickHouseInstallation(name: name, namespace: namespace, uid: metadata["uid"].string,
                                      clusters: clusters, status: statusText)
    }

    /// The operator's normalizer from the spec to hosts: each layout is expanded and named (`OperatorLayout`),
    /// addresses are filled (`FillCR`), templates and settings inherited, host templates and
    /// ports applied (`finalize`), and every host named (`fillCRAddressInfo`).
    static func layOut(_ spec: OperatorSpec, chi: String, namespace: String) -> [Cluster] {
        spec.clusters.forEach(OperatorLayout.normalize)
        OperatorLayout.fillAddresses(spec.clusters, namespace: namespace, chi: chi, maxPodsPerNode: spec.maxPodsPerNode)
        spec.clusters.forEach { OperatorHostRules.inherit($0, defaults: spec.defaultTemplates) }
        for cluster in spec.clusters {
            for host in cluster.hosts {
                OperatorHostRules.applyHostTemplate(OperatorHostRules.hostTemplate(for: host, spec: spec), to: host, cluster: cluster, spec: spec)
            }
        }
        return spec.clusters.map { cluster in
            Cluster(name: cluster.name, shards: cluster.shards.enumerated().map { index, shard in
                Shard(index: index, name: shard.name, replicas: shard.hosts.map { host(from: $0, cluster: cluster, spec: spec) })
            })
        }
    }

    /// The plan's view of one normalised host: its FQDN, the port the plugin dials and where
    /// both came from. The interface is chosen as the operator chooses its own (scheme `auto`
    /// of `ensureClusterSchemer`): HTTP when the host has an HTTP port, HTTPS when it only has
    /// an HTTPS one (`insecure: no` with `secure: yes`).
    private static func host(from draft: HostDraft, cluster: ClusterDraft, spec: OperatorSpec) -> Host {
        let (service, rule) = OperatorHostRules.serviceName(draft, spec: spec)
        let https = draft.ports.http == nil && draft.ports.https != nil
        let used = https ? draft.ports.https : draft.ports.http
        if used == nil {
            (draft.node ?? cluster.node).issue("leaves host \(BoundedText.quoted(draft.name)) without an HTTP or HTTPS port (insecure is off and secure is not on): the plugin has no interface to reach")
        }
        let domain = spec.namespaceDomainPattern.map { " in \($0)" } ?? ""
        return Host(name: draft.name, shardIndex: draft.address.shardIndex, replicaIndex: draft.address.replicaIndex,
                    fqdn: OperatorHostRules.fqdn(service: service, namespace: draft.address.namespace, domainPattern: spec.namespaceDomainPattern),
                    fqdnSource: .naming, fqdnRule: rule + domain,
                    httpPort: draft.ports.http?.value ?? 8123, httpsPort: draft.ports.https?.value ?? 8443,
                    tcpPort: draft.ports.tcp?.value ?? 9000, portSource: used?.source ?? "none", secure: https)
    }

    /// `normalizeNamespaceDomainPattern` drops a pattern with more than one `%s`; one without
    /// any would make the operator's own FQDNs read `host.domain%!(EXTRA string=ns)`.
    private static func checkDomainPattern(_ node: JSONNode, namespace: String) {
        guard let pattern = node.optionalString, pattern.occurrences(of: "%s") == 0 else { return }
        node.issue("must contain %s (the namespace): without it the operator's FQDNs read \(BoundedText.quoted("chi-...\(pattern)%!(EXTRA string=\(namespace))")), which no one can resolve")
    }

    /// Two clusters of one name would share every Service name.
    private static func checkClusterNames(_ clusters: [ClusterDraft]) {
        var seen: Set<String> = []
        for cluster in clusters where !seen.insert(cluster.name).inserted {
            cluster.node["name"].issue("repeats cluster \(BoundedText.quoted(cluster.name))")
        }
    }

    /// Every host's address, in one walk: without `status.fqdns` (`namedByRules`) each derived
    /// Service name must be one Kubernetes can create (one issue per place that names hosts);
    /// and no two hosts may share an address (the operator's rules allow it, e.g. a shard named
    /// "1" before shard 1): one server would be two hosts of the plan, backed up twice.
    private static func checkAddresses(_ spec: OperatorSpec, _ clusters: [Cluster], namedByRules: Bool) {
        var reported: Set<String> = []
        var owners: [String: String] = [:]
        for (draft, cluster) in zip(spec.clusters, clusters) {
            for (hostDraft, host) in zip(draft.hosts, cluster.hosts) {
                let node = hostDraft.node.map { $0["name"] } ?? draft.node["name"]
                let service = String(host.fqdn.prefix { $0 != "." })
                if namedByRules, !KubernetesNames.isLabel(service), reported.insert(node.path).inserted {
                    node.issue("gives host \(BoundedText.quoted(host.name)) the Service name \(BoundedText.quoted(service)) (\(host.fqdnRule)), which is not a DNS label (lower-case letters, digits, '-', at most 63): the operator cannot create it")
                }
                let place = "cluster \(BoundedText.quoted(cluster.name)) shard \(host.shardIndex) replica \(host.replicaIndex)"
                if let owner = owners.updateValue(place, forKey: host.fqdn) {
                    node.issue("gives \(place) the address \(BoundedText.quoted(host.fqdn)) that \(owner) already has: one server cannot be two hosts of the plan")
                }
            }
        }
    }

    /// Uses `status.fqdns` when it lists exactly one address per host (the operator writes
    /// them in the same cluster/shard/replica order, `fillStatus`); otherwise keeps the
    /// derived names. Returns whether it applied.
    private static func applyStatusFQDNs(_ node: JSONNode, to clusters: inout [Cluster]) -> Bool {
        guard let items = node.items else { return false }
        let fqdns = items.compactMap { item -> String? in
            guard let text = item.string else { return nil }
            if !KubernetesNames.isSubdomain(text) { item.issue("must be a DNS name, not \(BoundedText.quoted(text))"); return nil }
            return text
        }
        guard fqdns.count == items.count, fqdns.count == clusters.reduce(0, { $0 + $1.hosts.count }) else { return false }
        var next = fqdns.makeIterator()
        for c in clusters.indices {
            for s in clusters[c].shards.indices {
                for r in clusters[c].shards[s].replicas.indices {
                    clusters[c].shards[s].replicas[r].fqdn = next.next()!
                    clusters[c].shards[s].replicas[r].fqdnSource = .status
                }
            }
        }
        return true
    }
}
