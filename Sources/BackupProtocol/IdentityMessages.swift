import CProtobuf
import RPCRuntime

/// An empty request (`GetPluginMetadataRequest`, `GetPluginCapabilitiesRequest`, `ProbeRequest`).
/// Unknown fields are ignored, so any well-formed protobuf bytes decode.
public struct EmptyRequest: RPCMessage, Equatable {
    public init() {}

    public init(serializedBytes bytes: [UInt8]) throws {
        // An empty message still has to be well-formed protobuf: reuse ProbeRequest's parser.
        try ProtobufCCodec.unpack(
            bytes, typeName: "altinity.identity.v1.ProbeRequest",
            unpack: { altinity__identity__v1__probe_request__unpack(nil, $0, $1) },
            free: { altinity__identity__v1__probe_request__free_unpacked($0, nil) }
        ) { _ in }
    }

    public func serializedBytes() -> [UInt8] { [] }
}

/// `altinity.identity.v1.GetPluginMetadataResponse`.
public struct PluginMetadata: RPCMessage, Equatable {
    public var name, version, displayName, description, projectURL, repositoryURL, license, maturity, vendor: String

    public init(name: String, version: String, displayName: String, description: String, projectURL: String,
                repositoryURL: String, license: String, maturity: String, vendor: String) {
        (self.name, self.version, self.displayName, self.description) = (name, version, displayName, description)
        (self.projectURL, self.repositoryURL, self.license, self.maturity, self.vendor) = (projectURL, repositoryURL, license, maturity, vendor)
    }

    public init(serializedBytes bytes: [UInt8]) throws {
        self = try ProtobufCCodec.unpack(
            bytes, typeName: "altinity.identity.v1.GetPluginMetadataResponse",
            unpack: { altinity__identity__v1__get_plugin_metadata_response__unpack(nil, $0, $1) },
            free: { altinity__identity__v1__get_plugin_metadata_response__free_unpacked($0, nil) }
        ) { m in
            PluginMetadata(
                name: CRead.string(m.name), version: CRead.string(m.version), displayName: CRead.string(m.display_name),
                description: CRead.string(m.description), projectURL: CRead.string(m.project_url),
                repositoryURL: CRead.string(m.repository_url), license: CRead.string(m.license),
                maturity: CRead.string(m.maturity), vendor: CRead.string(m.vendor))
        }
    }

    public func serializedBytes() -> [UInt8] {
        let arena = CArena()
        var m = Altinity__Identity__V1__GetPluginMetadataResponse()
        altinity__identity__v1__get_plugin_metadata_response__init(&m)
        m.name = arena.string(name)
        m.version = arena.string(version)
        m.display_name = arena.string(displayName)
        m.description = arena.string(description)
        m.project_url = arena.string(projectURL)
        m.repository_url = arena.string(repositoryURL)
        m.license = arena.string(license)
        m.maturity = arena.string(maturity)
        m.vendor = arena.string(vendor)
        return ProtobufCCodec.pack(&m, size: { altinity__identity__v1__get_plugin_metadata_response__get_packed_size($0) },
                                   pack: { altinity__identity__v1__get_plugin_metadata_response__pack($0, $1) })
    }
}

/// `altinity.identity.v1.PluginCapability`.
public struct PluginCapability: Equatable, Sendable {
    /// `PluginCapability.Type`, by wire number.
    public enum Kind: Int32, Sendable {
        case unspecified = 0, backup = 1, restore = 2, dryRun = 3
    }
    public var kind: Kind
    /// The gRPC service providing it, if any.
    public var service: String

    public init(kind: Kind, service: String) {
        self.kind = kind
        self.service = service
    }
}

/// `altinity.identity.v1.GetPluginCapabilitiesResponse`.
public struct PluginCapabilities: RPCMessage, Equatable {
    public var capabilities: [PluginCapability]

    public init(_ capabilities: [PluginCapability]) { self.capabilities = capabilities }

    public init(serializedBytes bytes: [UInt8]) throws {
        self = try ProtobufCCodec.unpack(
            bytes, typeName: "altinity.identity.v1.GetPluginCapabilitiesResponse",
            unpack: { altinity__identity__v1__get_plugin_capabilities_response__unpack(nil, $0, $1) },
            free: { altinity__identity__v1__get_plugin_capabilities_response__free_unpacked($0, nil) }
        ) { m in
            PluginCapabilities(CRead.items(m.capabilities, count: m.n_capabilities).map {
                PluginCapability(kind: PluginCapability.Kind(rawValue: Int32($0.type.rawValue)) ?? .unspecified,
                                 service: CRead.string($0.service))
            })
        }
    }

    public func serializedBytes() -> [UInt8] {
        let arena = CArena()
        var m = Altinity__Identity__V1__GetPluginCapabilitiesResponse()
        altinity__identity__v1__get_plugin_capabilities_response__init(&m)
        let items = capabilities.map { capability in
            var c = Altinity__Identity__V1__PluginCapability()
            altinity__identity__v1__plugin_capability__init(&c)
            c.type = Altinity__Identity__V1__PluginCapability__Type(rawValue: numericCast(capability.kind.rawValue))
            c.service = arena.string(capability.service)
            return c
        }
        m.n_capabilities = items.count
        m.capabilities = arena.pointerArray(items)
        return ProtobufCCodec.pack(&m, size: { altinity__identity__v1__get_plugin_capabilities_response__get_packed_size($0) },
                                   pack: { altinity__identity__v1__get_plugin_capabilities_response__pack($0, $1) })
    }
}

/// `altinity.identity.v1.ProbeResponse`.
public struct ProbeResponse: RPCMessage, Equatable {
    public var ready: Bool

    public init(ready: Bool) { self.ready = ready }

    public init(serializedBytes bytes: [UInt8]) throws {
        self = try ProtobufCCodec.unpack(
            bytes, typeName: "altinity.identity.v1.ProbeResponse",
            unpack: { altinity__identity__v1__probe_response__unpack(nil, $0, $1) },
            free: { altinity__identity__v1__probe_response__free_unpacked($0, nil) }
        ) { ProbeResponse(ready: $0.ready != 0) }
    }

    public func serializedBytes() -> [UInt8] {
        var m = Altinity__Identity__V1__ProbeResponse()
        altinity__identity__v1__probe_response__init(&m)
        m.ready = ready ? 1 : 0
        return ProtobufCCodec.pack(&m, size: { altinity__identity__v1__probe_response__get_packed_size($0) },
                                   pack: { altinity__identity__v1__probe_response__pack($0, $1) })
    }
}
