/// A ClickHouseInstallation as far as backups care: identity, clusters, and every host
/// with its address, expanded from the layout by the operator's rules.
public struct ClickHouseInstallation: Equatable, Sendable {
    public var name: String
    public var namespace: String
    public var uid: String?
    public var clusters: [Cluster]
    /// `status.status` when present (InProgress, Completed, Aborted, Terminating).
    public var status: String?

    public init(name: String, namespace: String, uid: String? = nil, clusters: [Cluster], status: String? = nil) {
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.clusters = clusters
        self.status = status
    }

    /// The cluster named `name`.
    public func cluster(named name: String) -> Cluster? { clusters.first { $0.name == name } }
}

/// A cluster: shards of replicas.
public struct Cluster: Equatable, Sendable {
    public var name: String
    public var shards: [Shard]

    public init(name: String, shards: [Shard]) {
        self.name = name
        self.shards = shards
    }

    /// Every host, shard by shard.
    public var hosts: [Host] { shards.flatMap(\.replicas) }
}

/// A shard and its replicas (hosts).
public struct Shard: Equatable, Sendable {
    public var index: Int
    public var name: String
    public var replicas: [Host]

    public init(index: Int, name: String, replicas: [Host]) {
        self.index = index
        self.name = name
        self.replicas = replicas
    }
}

/// One ClickHouse server.
public struct Host: Equatable, Sendable {
    /// The host's name in the CHI (`{shard}-{replica}` unless named).
    public var name: String
    public var shardIndex: Int
    public var replicaIndex: Int
    /// The address to reach it, e.g. `chi-demo-main-0-0.ns.svc.cluster.local`.
    public var fqdn: String
    /// Where the FQDN came from: `status.fqdns` or the operator's naming rules.
    public var fqdnSource: FQDNSource
    /// The naming rule that made the FQDN (the Service name pattern, its template), shown in plans.
    public var fqdnRule: String
    public var httpPort: Int
    public var httpsPort: Int
    public var tcpPort: Int
    /// Where the port the plugin uses came from: a JSON path of the CHI, or the operator's rule.
    public var portSource: String
    /// Whether the plugin talks HTTPS to it: the host has only an HTTPS port (as the operator
    /// decides for its own connections, scheme `auto`).
    public var secure: Bool

    public enum FQDNSource: String, Sendable { case status = "status.fqdns", naming = "operator naming rules" }

    /// Where the FQDN came from, for plans: `status.fqdns`, or the naming rule that made it.
    public var fqdnSourceText: String {
        fqdnSource == .status || fqdnRule.isEmpty ? fqdnSource.rawValue : "\(fqdnSource.rawValue): \(fqdnRule)"
    }

    /// The port of the HTTP interface the plugin uses (HTTPS when secure).
    public var clickHousePort: Int { secure ? httpsPort : httpPort }

    public init(name: String, shardIndex: Int, replicaIndex: Int, fqdn: String, fqdnSource: FQDNSource = .naming,
                fqdnRule: String = "", httpPort: Int = 8123, httpsPort: Int = 8443, tcpPort: Int = 9000,
                portSource: String = "default", secure: Bool = false) {
        self.name = name
        self.shardIndex = shardIndex
        self.replicaIndex = replicaIndex
        self.fqdn = fqdn
        self.fqdnSource = fqdnSource
        self.fqdnRule = fqdnRule
        self.httpPort = httpPort
        self.httpsPort = httpsPort
        self.tcpPort = tcpPort
        self.portSource = portSource
        self.secure = secure
    }
}
