import BackupProtocol
import RPCRuntime
import Testing

@Suite struct MessageRoundTripTests {
    @Test func backupRequestAndResult() throws {
        let request = BackupRequest(chiDefinition: Array("{\"a\":1}".utf8), backupDefinition: [0, 1, 2, 255],
                                    parameters: ["dry_run": "true", "ключ": "значение", "": "empty key"])
        #expect(try BackupRequest(serializedBytes: request.serializedBytes()) == request)
        let result = BackupResult(backupID: "chb-1", backupName: "n", startedAt: -5, stoppedAt: Int64.max, metadata: ["k": ""])
        #expect(try BackupResult(serializedBytes: result.serializedBytes()) == result)
        #expect(try BackupResult(serializedBytes: []) == BackupResult())
    }

    @Test func restoreRequestAndResult() throws {
        let request = RestoreRequest(chiDefinition: [1], backupDefinition: [2], parameters: ["a": "b"])
        #expect(try RestoreRequest(serializedBytes: request.serializedBytes()) == request)
        let result = RestoreResult(restoreID: "chr-1", restoreName: "x", startedAt: 1, stoppedAt: 2, metadata: ["state": "Completed"])
        #expect(try RestoreResult(serializedBytes: result.serializedBytes()) == result)
    }

    @Test func catalogRequestAndResponse() throws {
        let request = CatalogRequest(chiDefinition: [1], backupDefinition: [2, 3], parameters: ["backup_name": "b", "force": "true"])
        #expect(try CatalogRequest(serializedBytes: request.serializedBytes()) == request)
        let info = BackupInfo(backupID: "chb-1", backupName: "i1", state: "Completed", type: "incremental", baseBackup: "f1",
                              totalSize: 1 << 40, startedAt: 5, stoppedAt: 9, location: "s3://b/ns/chi/i1/")
        let response = CatalogResponse(backups: [info, BackupInfo(backupName: "f1")], deleted: [info], metadata: ["dry_run": "false"])
        #expect(try CatalogResponse(serializedBytes: response.serializedBytes()) == response)
        #expect(try CatalogResponse(serializedBytes: []) == CatalogResponse())
    }

    /// The operator's contract fixes the field numbers; check the bytes, not just a round trip.
    @Test func wireNumbersMatchTheOperatorContract() {
        let request = BackupRequest(chiDefinition: [0x41], backupDefinition: [0x42], parameters: ["k": "v"])
        // field 1 bytes "A", field 2 bytes "B", field 3 map entry {1:"k", 2:"v"}
        #expect(request.serializedBytes() == [0x0A, 0x01, 0x41, 0x12, 0x01, 0x42, 0x1A, 0x06, 0x0A, 0x01, 0x6B, 0x12, 0x01, 0x76])
        let result = BackupResult(backupID: "i", backupName: "n", startedAt: 3, stoppedAt: 4, metadata: [:])
        #expect(result.serializedBytes() == [0x0A, 0x01, 0x69, 0x12, 0x01, 0x6E, 0x18, 0x03, 0x20, 0x04])
    }

    @Test func duplicateMapKeysKeepTheLast() throws {
        // Two entries for "k" on the wire: protobuf says the last one wins.
        let bytes: [UInt8] = [0x1A, 0x06, 0x0A, 0x01, 0x6B, 0x12, 0x01, 0x31, 0x1A, 0x06, 0x0A, 0x01, 0x6B, 0x12, 0x01, 0x32]
        #expect(try BackupRequest(serializedBytes: bytes).parameters == ["k": "2"])
    }

    @Test func malformedBytesAreInvalidArgument() {
        for bytes: [UInt8] in [[0x0A, 0x05, 0x41], [0xFF], [0x1A, 0x02, 0x0A]] {
            do {
                _ = try BackupRequest(serializedBytes: bytes)
                Issue.record("decoded \(bytes)")
            } catch let error as ProtocolDecodingError {
                #expect(error.rpcError.code == .invalidArgument)
                #expect(error.rpcError.message == "the request is not a valid altinity.backup.v1.BackupRequest protobuf message")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test func identityAndHealth() throws {
        let metadata = PluginMetadata(name: "n", version: "v", displayName: "d", description: "x", projectURL: "p",
                                      repositoryURL: "r", license: "l", maturity: "m", vendor: "ve")
        #expect(try PluginMetadata(serializedBytes: metadata.serializedBytes()) == metadata)
        let capabilities = PluginCapabilities([PluginCapability(kind: .backup, service: "s"), PluginCapability(kind: .dryRun, service: "")])
        #expect(try PluginCapabilities(serializedBytes: capabilities.serializedBytes()) == capabilities)
        #expect(try ProbeResponse(serializedBytes: ProbeResponse(ready: true).serializedBytes()) == ProbeResponse(ready: true))
        #expect(try HealthCheckRequest(serializedBytes: HealthCheckRequest(service: "svc").serializedBytes()).service == "svc")
        for status in [HealthCheckResponse.ServingStatus.serving, .notServing, .serviceUnknown, .unknown] {
            #expect(try HealthCheckResponse(serializedBytes: HealthCheckResponse(status: status).serializedBytes()).status == status)
        }
        #expect(try EmptyRequest(serializedBytes: [0x08, 0x01]) == EmptyRequest())  // unknown fields ignored
    }

    @Test func reflectionMessages() throws {
        let queries: [ReflectionRequest.Query] = [
            .listServices("*"), .fileByFilename("a.proto"), .fileContainingSymbol("x.Y"),
            .fileContainingExtension(containingType: "x.Y", number: 7), .allExtensionNumbersOfType("x.Y"), .none,
        ]
        for query in queries {
            let request = ReflectionRequest(host: "h", query: query)
            #expect(try ReflectionRequest(serializedBytes: request.serializedBytes()) == request)
        }
        let answers: [ReflectionResponse.Answer] = [
            .fileDescriptors([[1, 2], []]), .extensionNumbers(baseType: "t", numbers: [1, 5]),
            .services(["a", "b"]), .error(code: 5, message: "nope"), .none,
        ]
        for answer in answers {
            let response = ReflectionResponse(validHost: "h", originalRequest: ReflectionRequest(query: .listServices("")), answer: answer)
            #expect(try ReflectionResponse(serializedBytes: response.serializedBytes()) == response)
        }
    }
}

@Suite struct DescriptorSetTests {
    @Test func embeddedSetIndexesEveryService() throws {
        let set = DescriptorSet.embedded
        #expect(set.serviceNames == [
            "altinity.backup.v1.Backup", "altinity.backup.v1.BackupCatalog", "altinity.backup.v1.Operations", "altinity.identity.v1.Identity", "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection",
        ])
        let backup = try #require(set.file(containing: "altinity.backup.v1.Backup"))
        #expect(backup.name == "altinity/backup/v1/backup.proto")
        #expect(set.file(containing: ".altinity.backup.v1.Backup.Restore")?.name == backup.name)
        #expect(set.file(containing: "altinity.backup.v1.BackupRequest.ParametersEntry")?.name == backup.name)
        #expect(set.file(containing: "grpc.health.v1.HealthCheckResponse.ServingStatus")?.name == "grpc/health/v1/health.proto")
        #expect(set.file(containing: "altinity.identity.v1.PluginCapability.Type")?.name == "altinity/identity/v1/identity.proto")
        #expect(set.file(containing: "no.Such") == nil)
        #expect(set.withDependencies(backup).map(\.name) == [backup.name])
    }

    @Test func malformedSetsThrow() {
        #expect(throws: ProtobufWireReader.Malformed.self) { try DescriptorSet(fileDescriptorSet: [0x0A, 0x10, 0x01]) }
        #expect(throws: ProtobufWireReader.Malformed.self) { try DescriptorSet(fileDescriptorSet: [0x0B]) }  // group
        #expect(throws: ProtobufWireReader.Malformed.self) { try DescriptorSet(fileDescriptorSet: [0x08, 0xFF]) }
    }
}
