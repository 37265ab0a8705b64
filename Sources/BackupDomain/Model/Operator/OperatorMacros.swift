/// The operator's name macros in host scope (`pkg/model/common/macro/engine.go`,
/// `newReplacerHost`) and the name parts they expand to (`pkg/model/common/namer/short`).
public enum OperatorMacros {
    /// `namePartCRMaxLenNamesCtx`, `namePartClusterMaxLenNamesCtx`, shard/replica/host.
    public static let chiNameLimit = 60
    public static let clusterNameLimit = 15
    public static let hostNameLimit = 15
    /// `patternStatefulSetServiceName`: a host's Service (and pod host name) by default.
    public static let defaultServicePattern = "chi-{chi}-{cluster}-{host}"

    /// A name part (`short.Namer`): its first `limit` bytes (`util.StringHead`), without
    /// leading or trailing `-`, `_`, `.` (`sanitize`).
    public static func namePart(_ name: String, limit: Int) -> String {
        let head = String(decoding: name.utf8.prefix(limit), as: UTF8.self)
        let trimmed = head.drop { "-_.".contains($0) }
        return String(trimmed.reversed().drop { "-_.".contains($0) }.reversed())
    }

    /// Every macro a host's names may use and its value for this host.
    static func values(for address: HostAddress, hostName: String) -> [String: String] {
        let previousTail = address.clusterScopeCycleOffset == 0 && address.clusterScopeIndex > 0
            ? address.clusterScopeIndex - 1 : address.clusterScopeIndex
        return [
            "namespace": namePart(address.namespace, limit: chiNameLimit),
            "chi": namePart(address.chiName, limit: chiNameLimit),
            "cluster": namePart(address.clusterName, limit: clusterNameLimit),
            "clusterIndex": String(address.clusterIndex),
            "shard": namePart(address.shardName, limit: hostNameLimit),
            "shardIndex": String(address.shardIndex),
            "replica": namePart(address.replicaName, limit: hostNameLimit),
            "replicaIndex": String(address.replicaIndex),
            "host": namePart(hostName, limit: hostNameLimit),
            // The operator fills these two swapped (SetShardScopeIndex(ReplicaIndex)); kept so.
            "shardScopeIndex": String(address.replicaIndex),
            "replicaScopeIndex": String(address.shardIndex),
            "chiScopeIndex": String(address.chiScopeIndex),
            "chiScopeCycleIndex": String(address.chiScopeCycleIndex),
            "chiScopeCycleOffset": String(address.chiScopeCycleOffset),
            "clusterScopeIndex": String(address.clusterScopeIndex),
            "clusterScopeCycleIndex": String(address.clusterScopeCycleIndex),
            "clusterScopeCycleOffset": String(address.clusterScopeCycleOffset),
            "clusterScopeCycleHeadPointsToPreviousCycleTail": String(previousTail),
        ]
    }

    /// `pattern` with every `{macro}` replaced in one pass, as Go's `strings.Replacer` does:
    /// an expansion is never expanded again and unknown `{...}` stay as written.
    static func expand(_ pattern: String, for address: HostAddress, hostName: String) -> String {
        let macros = values(for: address, hostName: hostName)
        var result = ""
        var rest = Substring(pattern)
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            let tail = rest[rest.index(after: open)...]
            if let close = tail.firstIndex(of: "}"), let value = macros[String(tail[..<close])] {
                result += value
                rest = tail[tail.index(after: close)...]
            } else {
                result += "{"
                rest = tail
            }
        }
        return result + rest
    }
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
