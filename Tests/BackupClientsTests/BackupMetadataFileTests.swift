import BackupClients
import BackupDomain
import Testing

/// The sizes of a backup from its `.backup` file, counted as ClickHouse counts them (the e2e
/// test checks the same against the engine's system.backups).
@Suite struct BackupMetadataFileTests {
    func file(_ files: String) -> [UInt8] {
        Array("<config><version>1</version><deduplicate_files>1</deduplicate_files><contents>\(files)</contents></config>".utf8)
    }

    @Test func everyFileCountsAndTheFolderHoldsWhatIsNeitherTheBasesNorACopy() throws {
        let bytes = file("<file><name>a</name><size>100</size><checksum>1</checksum></file>"
                         + "<file><name>b</name><size>100</size><checksum>1</checksum><data_file>a</data_file></file>"  // a copy of a
                         + "<file><name>c</name><size>40</size><checksum>2</checksum><use_base>true</use_base></file>"  // the base's
                         + "<file><name>d</name><size>50</size><checksum>3</checksum><use_base>true</use_base><base_size>20</base_size>"
                         + "<base_checksum>4</base_checksum></file>"  // appended to: 30 bytes are new
                         + "<file><name>e</name><size>0</size></file>"
                         + "<file><name>f</name><size>7</size><checksum>5</checksum><data_file>f</data_file></file>")
        let sizes = try #require(BackupMetadataFile.sizes(of: bytes))
        let folder = Int64(100 + 30 + 7 + bytes.count)
        #expect(sizes == BackupManifest.PartSizes(numFiles: 6, totalSize: 297, compressedSize: folder, uncompressedSize: folder))
    }

    @Test func anEmptyBackupHoldsItsFileOnly() throws {
        let bytes = file("")
        #expect(BackupMetadataFile.sizes(of: bytes) == BackupManifest.PartSizes(numFiles: 0, totalSize: 0, compressedSize: Int64(bytes.count),
                                                                               uncompressedSize: Int64(bytes.count)))
    }

    @Test func whatIsNotSuchAFileHasNoSizes() {
        for text in ["", "<Error><Code>NoSuchKey</Code></Error>", "<config><version>1</version></config>",
                     "<config><contents><file><name>a</name></file></contents></config>",
                     "<config><contents><file><name>a</name><size>-1</size></file></contents></config>", "<config><contents>"] {
            #expect(BackupMetadataFile.sizes(of: Array(text.utf8)) == nil, "\(text)")
        }
    }
}
