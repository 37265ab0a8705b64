import CProtobuf
#if canImport(Glibc)
import Glibc
#endif

/// C memory that a message being packed points into: strings, bytes, entry arrays.
/// Everything allocated here is freed together when the arena goes away, after packing.
final class CArena {
    private var allocations: [UnsafeMutableRawPointer] = []

    deinit {
        for pointer in allocations { free(pointer) }
    }

    /// A NUL-terminated copy of `string` (protobuf-c strings stop at the first NUL).
    func string(_ string: String) -> UnsafeMutablePointer<CChar> {
        let copy = strdup(string)!
        allocations.append(copy)
        return copy
    }

    /// A copy of `bytes` as protobuf-c binary data.
    func bytes(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        guard !bytes.isEmpty else { return ProtobufCBinaryData(len: 0, data: nil) }
        let copy = malloc(bytes.count)!
        allocations.append(copy)
        bytes.withUnsafeBytes { copy.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        return ProtobufCBinaryData(len: bytes.count, data: copy.assumingMemoryBound(to: UInt8.self))
    }

    /// A C array holding `items`, or nil when empty.
    func array<Element>(_ items: [Element]) -> UnsafeMutablePointer<Element>? {
        guard !items.isEmpty else { return nil }
        let raw = malloc(MemoryLayout<Element>.stride * items.count)!
        allocations.append(raw)
        let typed = raw.bindMemory(to: Element.self, capacity: items.count)
        typed.initialize(from: items, count: items.count)
        return typed
    }

    /// One heap copy of `value` (for sub-messages referenced by pointer).
    func box<Element>(_ value: Element) -> UnsafeMutablePointer<Element> {
        array([value])!
    }

    /// An array of pointers to heap copies of `items` (protobuf-c's `T **` repeated fields).
    func pointerArray<Element>(_ items: [Element]) -> UnsafeMutablePointer<UnsafeMutablePointer<Element>?>? {
        array(items.map { Optional(box($0)) })
    }
}

/// Reading protobuf-c fields back into Swift values.
enum CRead {
    static func string(_ pointer: UnsafePointer<CChar>?) -> String {
        pointer.map { String(cString: $0) } ?? ""
    }

    static func bytes(_ data: ProtobufCBinaryData) -> [UInt8] {
        guard data.len > 0, let base = data.data else { return [] }
        return Array(UnsafeBufferPointer(start: base, count: data.len))
    }

    /// Elements of a `T **` repeated field.
    static func items<Element>(_ pointer: UnsafeMutablePointer<UnsafeMutablePointer<Element>?>?, count: Int) -> [Element] {
        guard let pointer, count > 0 else { return [] }
        return (0..<count).compactMap { pointer[$0]?.pointee }
    }
}

/// Packing and unpacking through the generated, typed protobuf-c functions (they carry the
/// real descriptor addresses, which the generic functions would need us to pass around).
enum ProtobufCCodec {
    /// Packs `message` with the generated size/pack functions.
    static func pack<Message>(
        _ message: inout Message,
        size: (UnsafePointer<Message>) -> Int,
        pack: (UnsafePointer<Message>, UnsafeMutablePointer<UInt8>) -> Int
    ) -> [UInt8] {
        withUnsafePointer(to: &message) { pointer in
            let count = size(pointer)
            guard count > 0 else { return [] }
            return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                initialized = pack(pointer, buffer.baseAddress!)
            }
        }
    }

    /// Unpacks `bytes` with the generated unpack function, reads it, and frees it.
    /// - Throws: ``RPCError`` `.invalidArgument` naming `typeName` when the bytes do not parse.
    static func unpack<Message, Result>(
        _ bytes: [UInt8], typeName: String,
        unpack: (Int, UnsafePointer<UInt8>?) -> UnsafeMutablePointer<Message>?,
        free: (UnsafeMutablePointer<Message>) -> Void,
        read: (Message) throws -> Result
    ) throws -> Result {
        let unpacked = bytes.withUnsafeBufferPointer { unpack($0.count, $0.baseAddress) }
        guard let unpacked else {
            throw ProtocolDecodingError(typeName: typeName)
        }
        defer { free(unpacked) }
        return try read(unpacked.pointee)
    }
}

extension CArena {
    /// A protobuf map as protobuf-c wants it: sorted entries (deterministic bytes), each
    /// built by `make` from C strings the arena owns.
    func map<Entry>(
        _ dictionary: [String: String],
        make: (UnsafeMutablePointer<CChar>, UnsafeMutablePointer<CChar>) -> Entry
    ) -> (count: Int, entries: UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>?) {
        let entries = dictionary.sorted { $0.key < $1.key }.map { make(string($0.key), string($0.value)) }
        return (entries.count, pointerArray(entries))
    }
}

extension CRead {
    /// A protobuf map read back; on duplicate keys the last one wins, as protobuf says.
    static func map<Entry>(
        _ pointer: UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>?, count: Int,
        pair: (Entry) -> (UnsafePointer<CChar>?, UnsafePointer<CChar>?)
    ) -> [String: String] {
        var result: [String: String] = [:]
        for entry in items(pointer, count: count) {
            let (key, value) = pair(entry)
            result[string(key)] = string(value)
        }
        return result
    }
}
