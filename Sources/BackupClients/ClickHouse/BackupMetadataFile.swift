import BackupDomain

/// The `.backup` file ClickHouse writes last into a backup's folder: every file of the backup
/// with its size, and what of it lies in the base backup or in another file (deduplication).
/// From it come the four sizes `system.backups` reports for the BACKUP that wrote it (and for
/// any RESTORE of it), without reading `system.backups`, whose every read costs the server
/// time in proportion to its whole history. Checked against the engine for full, incremental,
/// deduplicated, Log, materialized-view and empty backups (e2e `test_following.py`).
public enum BackupMetadataFile {
    public static let name = ".backup"

    /// The sizes of the backup whose `.backup` file is `bytes`, as ClickHouse counts them for a
    /// folder (not an archive): `num_files` every file, `total_size` their sizes, and the
    /// compressed and uncompressed sizes (equal for a folder) what the folder holds: each
    /// file's bytes not in the base and not another file's copy, plus the `.backup` file itself.
    /// Nil when `bytes` is not such a file.
    public static func sizes(of bytes: [UInt8]) -> BackupManifest.PartSizes? {
        guard let root = try? XMLElement.parse(bytes), root.name == "config", let contents = root.child("contents") else { return nil }
        var count: Int64 = 0, total: Int64 = 0, stored: Int64 = 0
        for file in contents.children("file") {
            guard let name = file.value("name"), let text = file.value("size"), let size = Int64(text), size >= 0 else { return nil }
            // `use_base` alone: the whole file is the base's; with `base_size`: its first bytes are.
            let inBase = file.value("base_size").flatMap { Int64($0) } ?? (file.value("use_base") == "true" ? size : 0)
            let copyOfAnother = file.value("data_file").map { $0 != name } ?? false
            count += 1
            total += size
            if size > 0, size != inBase, !copyOfAnother { stored += size - inBase }
        }
        let folder = stored + Int64(bytes.count)
        return BackupManifest.PartSizes(numFiles: count, totalSize: total, compressedSize: folder, uncompressedSize: folder)
    }
}
