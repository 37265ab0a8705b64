/// Parameters for callers that cannot send any: the operator sends `parameters` empty and its
/// CRD drops every CHB field it does not know, so its users choose backup type, retention and
/// the rest here. A policy file lists policies in order; the first whose `match` fits a
/// request gives its `parameters`, and the request's own parameters still win key by key.
///
/// ```yaml
/// policies:
///   - name: nightly-full
///     match:
///       namespaces: ["prod", "team-*"]     # globs; absent: any
///       chi: ["analytics*"]                # the CHI's name
///       chb: ["nightly-*"]                 # the CHB's name
///       labels: {tier: gold}               # the CHB's labels, all of them
///       chiLabels: {env: prod}             # the CHI's labels, all of them
///     parameters: {type: full, keep_full_chains: 4, max_age: 30d}
/// ```
public struct PolicySet: Equatable, Sendable {
    /// One policy: what it matches and the parameters it gives.
    public struct Policy: Equatable, Sendable {
        public var name: String
        public var namespaces: [String]
        public var chis: [String]
        public var chbs: [String]
        public var labels: [String: String]
        public var chiLabels: [String: String]
        public var parameters: [String: String]

        /// Whether this policy applies to `subject`.
        public func matches(_ subject: Subject) -> Bool {
            func any(_ globs: [String], _ name: String) -> Bool { globs.isEmpty || globs.contains { Glob.matches(Array($0), Array(name)) } }
            return any(namespaces, subject.namespace) && any(chis, subject.chi) && any(chbs, subject.chb)
                && labels.allSatisfy { subject.labels[$0.key] == $0.value }
                && chiLabels.allSatisfy { subject.chiLabels[$0.key] == $0.value }
        }
    }

    /// What a request is matched on.
    public struct Subject: Sendable {
        public var namespace: String
        public var chi: String
        public var chb: String
        public var labels: [String: String]
        public var chiLabels: [String: String]

        public init(namespace: String, chi: String, chb: String, labels: [String: String] = [:], chiLabels: [String: String] = [:]) {
            self.namespace = namespace
            self.chi = chi
            self.chb = chb
            self.labels = labels
            self.chiLabels = chiLabels
        }
    }

    public var policies: [Policy]

    public init(policies: [Policy] = []) { self.policies = policies }

    /// The first policy that matches, if any.
    public func policy(for subject: Subject) -> Policy? { policies.first { $0.matches(subject) } }

    /// `request` filled with the matching policy's parameters that apply to `operation`
    /// (a backup-only key is not given to a restore), and the policy's name.
    public func parameters(_ request: [String: String], for operation: OperationParameters.Operation,
                           subject: Subject) -> (parameters: [String: String], policy: String?) {
        guard let policy = policy(for: subject) else { return (request, nil) }
        let known = Set(OperationParameters.keys(for: operation))
        var merged = request
        for (key, value) in policy.parameters where known.contains(key) && merged[key] == nil { merged[key] = value }
        return (merged, policy.name)
    }
}

extension PolicySet {
    /// Decodes a policy document (YAML or JSON, already read into a value); every problem
    /// goes to `root`'s issue log with its path, e.g. `policy_file: policies[1].parameters.type`.
    /// Each policy's parameters are checked as a backup's and a restore's would be.
    public static func decode(_ root: JSONNode) -> PolicySet? {
        guard root.object != nil else {
            if root.isMissing { root.issue("is empty: it must hold `policies: [...]`") }
            return nil
        }
        for key in (root.object ?? [:]).keys where key != "policies" { root[key].issue("is not a policy file key; known: policies") }
        var policies: [Policy] = []
        var names: Set<String> = []
        for (index, item) in (root["policies"].items ?? []).enumerated() {
            guard let policy = decodePolicy(item, index: index) else { continue }
            if !names.insert(policy.name).inserted { item["name"].issue("repeats policy \(BoundedText.quoted(policy.name))") }
            policies.append(policy)
        }
        return PolicySet(policies: policies)
    }

    private static func decodePolicy(_ node: JSONNode, index: Int) -> Policy? {
        guard node.object != nil else { return nil }
        for key in (node.object ?? [:]).keys where !["name", "match", "parameters"].contains(key) {
            node[key].issue("is not a policy key; known: match, name, parameters")
        }
        let match = node["match"]
        _ = match.object
        for key in (match.object ?? [:]).keys where !["namespaces", "chi", "chb", "labels", "chiLabels"].contains(key) {
            match[key].issue("is not a match key; known: chb, chi, chiLabels, labels, namespaces")
        }
        let parameters = scalarMap(node["parameters"])
        checkParameters(parameters, at: node["parameters"])
        return Policy(name: node["name"].optionalString ?? "policies[\(index)]",
                      namespaces: strings(match["namespaces"]), chis: strings(match["chi"]), chbs: strings(match["chb"]),
                      labels: scalarMap(match["labels"]), chiLabels: scalarMap(match["chiLabels"]), parameters: parameters)
    }

    /// A key must be a parameter of a backup or a restore, and its value valid there.
    private static func checkParameters(_ parameters: [String: String], at node: JSONNode) {
        let backupKeys = Set(OperationParameters.keys(for: .backup)), restoreKeys = Set(OperationParameters.keys(for: .restore))
        for (key, value) in parameters.sorted(by: { $0.key < $1.key }) {
            if key == "dry_run" { node[key].issue("cannot be set by a policy (a policy that made every call a dry run would back nothing up)"); continue }
            let operation: OperationParameters.Operation
            if backupKeys.contains(key) { operation = .backup } else if restoreKeys.contains(key) { operation = .restore } else {
                node[key].issue("is not a parameter; known: \(backupKeys.union(restoreKeys).sorted().joined(separator: ", "))")
                continue
            }
            let log = IssueLog()
            _ = OperationParameters.parse([key: value], for: operation, log: log)
            for issue in log.issues { node[key].issue(issue.problem) }
        }
    }

    /// A list of strings (a single string counts as a list of one).
    private static func strings(_ node: JSONNode) -> [String] {
        if node.isMissing { return [] }
        if case .string(let one)? = node.value { return [one] }
        return (node.items ?? []).compactMap(\.string)
    }

    /// A map of scalars as strings (YAML's `4` and `true` read as "4" and "true").
    private static func scalarMap(_ node: JSONNode) -> [String: String] {
        var map: [String: String] = [:]
        for (key, value) in node.object ?? [:] {
            switch value {
            case .string(let text): map[key] = text
            case .number(let text): map[key] = text
            case .bool(let flag): map[key] = flag ? "true" : "false"
            default: node[key].issue("must be a string, a number or a boolean, not \(value.typeName)")
            }
        }
        return map
    }
}
