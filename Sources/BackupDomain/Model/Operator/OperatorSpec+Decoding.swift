extension OperatorSpec {
    /// Most hosts one CHI may expand to (guards against `shardsCount: 100000000`).
    static let maxHosts = 4096
    static let ports = 1...65535

    /// Reads `spec` as the operator's Go types would unmarshal it; a value of the wrong type
    /// (which the API server's CRD schema would have refused) is an issue at its path.
    static func decode(_ spec: JSONNode) -> OperatorSpec? {
        _ = spec.object
        let configuration = spec["configuration"]
        _ = configuration.object
        let templates = spec["templates"]
        _ = templates.object
        var hostTemplates: [String: HostTemplateDraft] = [:]
        for item in templates["hostTemplates"].items ?? [] { if let t = hostTemplate(item) { hostTemplates[t.name] = t } }
        var podTemplates: [String: PodTemplateDraft] = [:]
        var maxPodsPerNode = 0
        for item in templates["podTemplates"].items ?? [] {
            guard let name = item["name"].optionalString else { continue }
            podTemplates[name] = PodTemplateDraft(name: name, hostNetwork: item["spec"]["hostNetwork"].flag ?? false)
            for distribution in item["podDistribution"].items ?? []
            where distribution["type"].optionalString == "MaxNumberPerNode" {
                maxPodsPerNode = distribution["number"].integer(in: 0...maxHosts) ?? 0
            }
        }
        var serviceTemplates: [String: ServiceTemplateDraft] = [:]
        for item in templates["serviceTemplates"].items ?? [] {
            guard let name = item["name"].optionalString else { continue }
            serviceTemplates[name] = ServiceTemplateDraft(name: name, generateName: item["generateName"].optionalString)
        }
        var clusters: [ClusterDraft] = []
        var hostsSoFar = 0
        for item in configuration["clusters"].items ?? [] {
            guard let cluster = cluster(item, hostsSoFar: &hostsSoFar) else { return nil }
            clusters.append(cluster)
        }
        if clusters.isEmpty {
            // ensureClusters: a CHI without clusters (none listed, or an empty list) gets one
            // cluster named "cluster" (a CHI that only sets users or settings is still a server).
            clusters = [ClusterDraft(node: JSONNode.synthesized(.object([:]), at: configuration["clusters"]), name: "cluster",
                                     insecure: nil, secure: nil, settings: OperatorSettings(), templates: TemplateNames(),
                                     shardsCount: 0, replicasCount: 0, shards: [], replicas: [])]
        }
        return OperatorSpec(namespaceDomainPattern: spec["namespaceDomainPattern"].optionalString,
                            defaultTemplates: templateNames(spec["defaults"]["templates"]),
                            settings: settings(configuration["settings"]), clusters: clusters,
                            hostTemplates: hostTemplates, podTemplates: podTemplates,
                            serviceTemplates: serviceTemplates, maxPodsPerNode: maxPodsPerNode)
    }

    /// A cluster and its layout as written, before any count is normalised.
    private static func cluster(_ node: JSONNode, hostsSoFar: inout Int) -> ClusterDraft? {
        guard node.object != nil else { return nil }
        let layout = node["layout"]
        _ = layout.object
        func line(_ item: JSONNode, count: String, hosts: String) -> HostLineDraft {
            HostLineDraft(name: item["name"].optionalString ?? "", count: item[count].integer(in: 0...maxHosts) ?? 0,
                          settings: settings(item["settings"]), templates: templateNames(item["templates"]),
                          hosts: (item[hosts].items ?? []).map(host))
        }
        let shards = (layout["shards"].items ?? []).map { line($0, count: "replicasCount", hosts: "replicas") }
        let replicas = (layout["replicas"].items ?? []).map { line($0, count: "shardsCount", hosts: "shards") }
        let cluster = ClusterDraft(node: node, name: node["name"].optionalString ?? "",
                                   insecure: node["insecure"].flag, secure: node["secure"].flag,
                                   settings: settings(node["settings"]), templates: templateNames(node["templates"]),
                                   shardsCount: layout["shardsCount"].integer(in: 0...maxHosts) ?? 0,
                                   replicasCount: layout["replicasCount"].integer(in: 0...maxHosts) ?? 0,
                                   shards: shards, replicas: replicas)
        // Refuse absurd expansions before allocating the host field.
        let (shardTotal, replicaTotal) = OperatorLayout.counts(cluster)
        hostsSoFar += shardTotal * replicaTotal
        if hostsSoFar > maxHosts {
            layout.issue("expands to more than \(maxHosts) hosts")
            return nil
        }
        return cluster
    }

    /// A host as the layout lists it.
    private static func host(_ node: JSONNode) -> HostDraft {
        _ = node.object
        return HostDraft(node: node, name: node["name"].optionalString ?? "",
                         insecure: node["insecure"].flag, secure: node["secure"].flag,
                         ports: ports(node), settings: settings(node["settings"]), templates: templateNames(node["templates"]))
    }

    private static func hostTemplate(_ node: JSONNode) -> HostTemplateDraft? {
        guard let name = node["name"].optionalString else { return nil }
        // NormalizeHostTemplate: no distribution means Unspecified; unknown types become Unspecified.
        let distribution: [HostTemplateDraft.PortDistribution] = node["portDistribution"].isMissing
            ? [.unspecified]
            : (node["portDistribution"].items ?? []).map { $0["type"].optionalString == "ClusterScopeIndex" ? .clusterScopeIndex : .unspecified }
        let spec = node["spec"]
        return HostTemplateDraft(name: name, portDistribution: distribution, insecure: spec["insecure"].flag,
                                 secure: spec["secure"].flag, ports: ports(spec), templates: templateNames(spec["templates"]),
                                 label: "hostTemplate \(BoundedText.quoted(name))")
    }

    private static func ports(_ node: JSONNode) -> HostPorts {
        func port(_ key: String) -> SourcedPort? {
            node[key].integer(in: ports).map { SourcedPort(value: $0, source: node[key].path) }
        }
        return HostPorts(http: port("httpPort"), https: port("httpsPort"), tcp: port("tcpPort") ?? port("port"), tls: port("tlsPort"))
    }

    private static func templateNames(_ node: JSONNode) -> TemplateNames {
        _ = node.object
        return TemplateNames(hostTemplate: node["hostTemplate"].optionalString ?? "",
                             podTemplate: node["podTemplate"].optionalString ?? "",
                             replicaServiceTemplate: node["replicaServiceTemplate"].optionalString ?? "")
    }

    /// A `settings` map: scalars kept as the operator prints them (`parseSettingScalarValue`:
    /// whole numbers without a fraction, booleans as true/false).
    static func settings(_ node: JSONNode) -> OperatorSettings {
        var settings = OperatorSettings()
        for (key, value) in node.object ?? [:] {
            let text: String
            switch value {
            case .string(let s): text = s
            case .bool(let b): text = b ? "true" : "false"
            case .number(let n): text = Double(n).map { $0 == $0.rounded() && abs($0) < 1e15 ? String(Int($0)) : n } ?? n
            default: continue
            }
            settings.entries[normalizedKey(key)] = OperatorSetting(value: text, source: node[key].path)
        }
        return settings
    }

    /// `normalizeKeyAsPath`: runs of `/` collapsed, `/` trimmed at both ends.
    static func normalizedKey(_ key: String) -> String {
        let parts = key.split(separator: "/", omittingEmptySubsequences: true)
        return parts.joined(separator: "/")
    }
}
