/// The operator's per-host rules after the layout: what a host inherits, which host template
/// applies, its ports and secure flag, and its Service name and FQDN. Each step names the Go
/// function it follows (`pkg/model/chi/normalizer/normalizer-host.go`, `pkg/model/chi/namer`).
enum OperatorHostRules {
    /// `normalizeClusterStage2` (templates and settings): the cluster fills its templates from
    /// `spec.defaults.templates`; shards and replicas fill theirs and their settings from the
    /// cluster; each host from its shard, or from its replica when the layout lists only
    /// replicas (`SelectSettingsSourceFrom`).
    static func inherit(_ cluster: ClusterDraft, defaults: TemplateNames) {
        cluster.templates.fill(from: defaults)
        for shard in cluster.shards {
            shard.settings.fill(from: cluster.settings)
            shard.templates.fill(from: cluster.templates)
        }
        for replica in cluster.replicas {
            replica.settings.fill(from: cluster.settings)
            replica.templates.fill(from: cluster.templates)
        }
        let fromReplica = cluster.replicasExplicit && !cluster.shardsExplicit
        for (s, row) in cluster.field.enumerated() {
            for (r, host) in row.enumerated() {
                guard let host else { continue }
                let (settings, templates) = fromReplica
                    ? (cluster.replicas[r].settings, cluster.replicas[r].templates)
                    : (cluster.shards[s].settings, cluster.shards[s].templates)
                host.settings.fill(from: settings)
                host.templates.fill(from: templates)
            }
        }
    }

    /// `hostGetHostTemplate`: the host template the host names, else the operator's default
    /// for a `hostNetwork` pod template (ports spread by cluster index), else the common default.
    static func hostTemplate(for host: HostDraft, spec: OperatorSpec) -> HostTemplateDraft {
        if let named = spec.hostTemplates[host.templates.hostTemplate] { return named }
        if let pod = spec.podTemplates[host.templates.podTemplate], pod.hostNetwork {
            return HostTemplateDraft(name: "", portDistribution: [.clusterScopeIndex], ports: HostPorts(), templates: TemplateNames(),
                                     label: "the operator's hostNetwork default (podTemplate \(BoundedText.quoted(pod.name)))")
        }
        return HostTemplateDraft(name: "", portDistribution: [.unspecified], ports: HostPorts(), templates: TemplateNames(),
                                 label: "the operator's default")
    }

    /// `hostApplyHostTemplate`: flags the host lacks come from the template; then its port
    /// distribution, then ports from settings, then the template's templates.
    static func applyHostTemplate(_ template: HostTemplateDraft, to host: HostDraft, cluster: ClusterDraft, spec: OperatorSpec) {
        host.insecure = host.insecure ?? template.insecure
        host.secure = host.secure ?? template.secure
        applyPortDistribution(template, to: host)
        applyPortsFromSettings(host, cluster: cluster, spec: spec)
        host.templates.fill(from: template.templates)
    }

    /// `hostApplyHostTemplatePortDistribution`: Unspecified takes the template's ports;
    /// ClusterScopeIndex adds the host's index in its cluster to the template's port (or the
    /// ClickHouse default).
    static func applyPortDistribution(_ template: HostTemplateDraft, to host: HostDraft) {
        let index = host.address.clusterScopeIndex
        func spread(_ port: SourcedPort?, base: Int) -> SourcedPort {
            let start = port?.value ?? base
            let from = port.map { "\($0.source) (\(template.label))" } ?? "default \(base) (\(template.label))"
            return SourcedPort(value: start + index, source: "\(from) + clusterScopeIndex \(index)")
        }
        func taken(_ port: SourcedPort?) -> SourcedPort? {
            port.map { SourcedPort(value: $0.value, source: "\($0.source) (\(template.label))") }
        }
        for distribution in template.portDistribution {
            switch distribution {
            case .unspecified:
                host.ports.http = host.ports.http ?? taken(template.ports.http)
                host.ports.https = host.ports.https ?? taken(template.ports.https)
                host.ports.tcp = host.ports.tcp ?? taken(template.ports.tcp)
                host.ports.tls = host.ports.tls ?? taken(template.ports.tls)
            case .clusterScopeIndex:
                host.ports.http = host.ports.http ?? spread(template.ports.http, base: 8123)
                host.ports.https = host.ports.https ?? spread(template.ports.https, base: 8443)
                host.ports.tcp = host.ports.tcp ?? spread(template.ports.tcp, base: 9000)
                host.ports.tls = host.ports.tls ?? spread(template.ports.tls, base: 9440)
            }
        }
    }

    /// `hostApplyPortsFromSettings`: a port still unset comes from the host's settings
    /// (inherited from cluster, shard or replica), then from `spec.configuration.settings`,
    /// then the defaults: plain ports when the host is insecure (the default), TLS ports when
    /// it is secure.
    static func applyPortsFromSettings(_ host: HostDraft, cluster: ClusterDraft, spec: OperatorSpec) {
        for settings in [host.settings, spec.settings] {
            host.ports.http = host.ports.http ?? settings.port("http_port")
            host.ports.https = host.ports.https ?? settings.port("https_port")
            host.ports.tcp = host.ports.tcp ?? settings.port("tcp_port")
            host.ports.tls = host.ports.tls ?? settings.port("tcp_port_secure")
        }
        if isInsecure(host, cluster) {
            host.ports.http = host.ports.http ?? SourcedPort(value: 8123, source: "default")
            host.ports.tcp = host.ports.tcp ?? SourcedPort(value: 9000, source: "default")
        }
        if isSecure(host, cluster) {
            host.ports.https = host.ports.https ?? SourcedPort(value: 8443, source: "default")
            host.ports.tls = host.ports.tls ?? SourcedPort(value: 9440, source: "default")
        }
    }

    /// `Host.IsSecure`: the host's flag, else the cluster's, else false.
    static func isSecure(_ host: HostDraft, _ cluster: ClusterDraft) -> Bool { host.secure ?? cluster.secure ?? false }

    /// `Host.IsInsecure`: the host's flag, else the cluster's, else true.
    static func isInsecure(_ host: HostDraft, _ cluster: ClusterDraft) -> Bool { host.insecure ?? cluster.insecure ?? true }

    /// `createStatefulSetServiceName` (= `createPodHostname`): the `generateName` of the host's
    /// `replicaServiceTemplate` when it has one, else `chi-{chi}-{cluster}-{host}`, expanded
    /// with the host's macros. Returns the name and the rule that made it.
    static func serviceName(_ host: HostDraft, spec: OperatorSpec) -> (name: String, rule: String) {
        if let template = spec.serviceTemplates[host.templates.replicaServiceTemplate], let pattern = template.generateName {
            return (OperatorMacros.expand(pattern, for: host.address, hostName: host.name),
                    "replicaServiceTemplate \(BoundedText.quoted(template.name)) generateName \(BoundedText.quoted(pattern))")
        }
        return (OperatorMacros.expand(OperatorMacros.defaultServicePattern, for: host.address, hostName: host.name),
                OperatorMacros.defaultServicePattern)
    }

    /// `createPodFQDN`: `{service}.{namespace}.svc.cluster.local`, or `{service}.` followed by
    /// `spec.namespaceDomainPattern` with its `%s` as the namespace (a pattern with more than
    /// one `%s` is dropped by `normalizeNamespaceDomainPattern`).
    static func fqdn(service: String, namespace: String, domainPattern: String?) -> String {
        let pattern = domainPattern.flatMap { $0.occurrences(of: "%s") > 1 ? nil : $0 } ?? "%s.svc.cluster.local"
        return "\(service).\(pattern.replacingFirst("%s", with: namespace))"
    }
}
