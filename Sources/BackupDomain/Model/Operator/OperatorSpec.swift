/// The parts of a CHI's `spec` that decide where its hosts are, held as the operator's Go
/// types hold them (`pkg/apis/clickhouse.altinity.com/v1`) before its normalizer runs.
/// Reference types because the operator's are pointers: one host object sits in a shard's
/// list, a replica's list and the cluster's host field at once.
struct OperatorSpec {
    var namespaceDomainPattern: String?
    /// `spec.defaults.templates`, inherited by every cluster.
    var defaultTemplates: TemplateNames
    /// `spec.configuration.settings`: the last place a host's ports are looked up.
    var settings: OperatorSettings
    var clusters: [ClusterDraft]
    /// `spec.templates.*` by name (a later template of the same name wins, as in the
    /// operator's template indexes).
    var hostTemplates: [String: HostTemplateDraft]
    var podTemplates: [String: PodTemplateDraft]
    var serviceTemplates: [String: ServiceTemplateDraft]
    /// `spec.templates.podTemplates[].podDistribution[]` of type MaxNumberPerNode, the last one.
    var maxPodsPerNode: Int
}

/// A port and where its value came from: a JSON path, or how the operator derived it.
struct SourcedPort: Equatable {
    var value: Int
    var source: String
}

/// One scalar setting (`settings` are maps of names to values) and the path it came from.
struct OperatorSetting: Equatable {
    var value: String
    var source: String
}

/// A `settings` map; keys normalised as the operator normalises them (`//` collapsed,
/// `/` trimmed: `normalizeKeyAsPath`).
struct OperatorSettings {
    var entries: [String: OperatorSetting] = [:]

    /// `Settings.MergeFrom`: every key of `other` this map lacks.
    mutating func fill(from other: OperatorSettings) {
        for (key, setting) in other.entries where entries[key] == nil { entries[key] = setting }
    }

    /// `Settings.getInt32Ptr`: the value when it reads as an integer (`strconv.Atoi`).
    func port(_ key: String) -> SourcedPort? {
        guard let setting = entries[key], let value = Int(setting.value) else { return nil }
        return SourcedPort(value: value, source: setting.source)
    }
}

/// A `templates` list: names of templates, empty when unset. Only the ones that move hosts.
struct TemplateNames: Equatable {
    var hostTemplate = ""
    var podTemplate = ""
    var replicaServiceTemplate = ""

    /// `TemplatesList.mergeFromFillEmptyValues`.
    mutating func fill(from other: TemplateNames) {
        if hostTemplate.isEmpty { hostTemplate = other.hostTemplate }
        if podTemplate.isEmpty { podTemplate = other.podTemplate }
        if replicaServiceTemplate.isEmpty { replicaServiceTemplate = other.replicaServiceTemplate }
    }
}

/// The ports a host (or a host template's spec) may set.
struct HostPorts: Equatable {
    var http: SourcedPort?
    var https: SourcedPort?
    var tcp: SourcedPort?
    var tls: SourcedPort?
}

/// `chi.Host` while the normalizer works on it.
final class HostDraft {
    /// The host's own JSON, when the layout lists it.
    let node: JSONNode?
    var name: String
    var insecure: Bool?
    var secure: Bool?
    var ports: HostPorts
    var settings: OperatorSettings
    var templates: TemplateNames
    var address = HostAddress()

    init(node: JSONNode?, name: String = "", insecure: Bool? = nil, secure: Bool? = nil, ports: HostPorts = HostPorts(),
         settings: OperatorSettings = OperatorSettings(), templates: TemplateNames = TemplateNames()) {
        self.node = node
        self.name = name
        self.insecure = insecure
        self.secure = secure
        self.ports = ports
        self.settings = settings
        self.templates = templates
    }

    /// `Host.MergeFrom`, used when the layout lists a host both shard-major and replica-major.
    /// The operator keeps this host's name and settings, fills flags and templates, and does
    /// *not* take the other's ports: its `host.TCPPort.MergeFrom(...)` drops its result.
    func merge(from other: HostDraft) {
        insecure = insecure ?? other.insecure
        secure = secure ?? other.secure
        templates.fill(from: other.templates)
    }
}

/// `HostAddress`: where a host sits, filled by `fillSelfCalculatedAddressInfo`.
struct HostAddress: Equatable {
    var namespace = ""
    var chiName = ""
    var clusterName = ""
    var clusterIndex = 0
    var shardName = ""
    var shardIndex = 0
    var replicaName = ""
    var replicaIndex = 0
    var chiScopeIndex = 0
    var chiScopeCycleIndex = 0
    var chiScopeCycleOffset = 0
    var clusterScopeIndex = 0
    var clusterScopeCycleIndex = 0
    var clusterScopeCycleOffset = 0
}

/// `chi.ChiShard` (its `replicas[]` are its hosts, `replicasCount` their count) or
/// `chi.ChiReplica` (its `shards[]` are its hosts, `shardsCount` their count): a named line of
/// the layout's host field.
final class HostLineDraft {
    var name: String
    /// `replicasCount` of a shard, `shardsCount` of a replica (0: unset).
    var count: Int
    var settings: OperatorSettings
    var templates: TemplateNames
    var hosts: [HostDraft]

    init(name: String = "", count: Int = 0, settings: OperatorSettings = OperatorSettings(),
         templates: TemplateNames = TemplateNames(), hosts: [HostDraft] = []) {
        self.name = name
        self.count = count
        self.settings = settings
        self.templates = templates
        self.hosts = hosts
    }
}

/// `chi.Cluster` with its `layout`.
final class ClusterDraft {
    let node: JSONNode
    var name: String
    var insecure: Bool?
    var secure: Bool?
    var settings: OperatorSettings
    var templates: TemplateNames
    var shardsCount: Int
    var replicasCount: Int
    var shards: [HostLineDraft]
    var replicas: [HostLineDraft]
    var shardsExplicit = false
    var replicasExplicit = false
    /// `Layout.HostsField`: shard x replica, nil where no host was created.
    var field: [[HostDraft?]] = []

    init(node: JSONNode, name: String, insecure: Bool?, secure: Bool?, settings: OperatorSettings, templates: TemplateNames,
         shardsCount: Int, replicasCount: Int, shards: [HostLineDraft], replicas: [HostLineDraft]) {
        self.node = node
        self.name = name
        self.insecure = insecure
        self.secure = secure
        self.settings = settings
        self.templates = templates
        self.shardsCount = shardsCount
        self.replicasCount = replicasCount
        self.shards = shards
        self.replicas = replicas
    }

    /// `Cluster.WalkHosts`: the hosts of the shards, shard by shard (the hosts that get pods).
    var hosts: [HostDraft] { shards.flatMap(\.hosts) }
}

/// `spec.templates.hostTemplates[]`.
struct HostTemplateDraft {
    enum PortDistribution: Equatable { case unspecified, clusterScopeIndex }
    var name: String
    var portDistribution: [PortDistribution]
    var insecure: Bool?
    var secure: Bool?
    var ports: HostPorts
    var templates: TemplateNames
    /// How the plan names it: `hostTemplate 'x'` or the operator's default.
    var label: String
}

/// `spec.templates.podTemplates[]`: what moves hosts (`spec.hostNetwork`).
struct PodTemplateDraft {
    var name: String
    var hostNetwork: Bool
}

/// `spec.templates.serviceTemplates[]`: `generateName` names a host's Service.
struct ServiceTemplateDraft {
    var name: String
    var generateName: String?
}
