/// The clickhouse-operator's naming rules for per-host Services and their FQDNs.
///
/// Host Service: `chi-{chi}-{cluster}-{host}` where each part is cut to its length limit
/// (CHI 60, cluster 15, host 15) and then stripped of `-`, `_` and `.` at both ends.
/// FQDN: `{service}.{domain}` with domain `{namespace}.svc.cluster.local`, or
/// `spec.namespaceDomainPattern` with `%s` standing for the namespace.
public enum OperatorNaming {
    public static let chiNameLimit = 60
    public static let clusterNameLimit = 15
    public static let hostNameLimit = 15
    public static let defaultDomainPattern = "%s.svc.cluster.local"

    /// A name part: its first `limit` characters, without leading/trailing `-_.`.
    public static func namePart(_ name: String, limit: Int) -> String {
        let head = String(name.prefix(limit))
        let trimmed = head.drop { "-_.".contains($0) }
        return String(trimmed.reversed().drop { "-_.".contains($0) }.reversed())
    }

    /// The host's Service name, which is also its pod host name.
    public static func hostServiceName(chi: String, cluster: String, host: String) -> String {
        "chi-\(namePart(chi, limit: chiNameLimit))-\(namePart(cluster, limit: clusterNameLimit))-\(namePart(host, limit: hostNameLimit))"
    }

    /// The host's FQDN.
    public static func hostFQDN(chi: String, cluster: String, host: String, namespace: String, domainPattern: String?) -> String {
        let pattern = domainPattern ?? defaultDomainPattern
        let domain = pattern.replacingFirst("%s", with: namespace)
        return "\(hostServiceName(chi: chi, cluster: cluster, host: host)).\(domain)"
    }

    /// The default host name: `{shard}-{replica}`.
    public static func hostName(shard: String, replica: String) -> String { "\(shard)-\(replica)" }
}

extension String {
    /// `self` with the first occurrence of `target` replaced.
    func replacingFirst(_ target: String, with replacement: String) -> String {
        let chars = Array(self), needle = Array(target)
        guard !needle.isEmpty, chars.count >= needle.count else { return self }
        for start in 0...(chars.count - needle.count) where Array(chars[start..<start + needle.count]) == needle {
            return String(chars[..<start]) + replacement + String(chars[(start + needle.count)...])
        }
        return self
    }

    /// Occurrences of `target` in `self`.
    func occurrences(of target: String) -> Int {
        let chars = Array(self), needle = Array(target)
        guard !needle.isEmpty, chars.count >= needle.count else { return 0 }
        return (0...(chars.count - needle.count)).filter { Array(chars[$0..<$0 + needle.count]) == needle }.count
    }
}
