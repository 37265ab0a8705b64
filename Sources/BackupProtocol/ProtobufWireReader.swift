/// A minimal protobuf wire-format reader: enough to walk descriptors for server reflection
/// without generating code for descriptor.proto. Bounds-checked; malformed input throws.
public struct ProtobufWireReader {
    /// One field as it appears on the wire.
    public enum Value {
        case varint(UInt64)
        case fixed64(UInt64)
        case lengthDelimited(ArraySlice<UInt8>)
        case fixed32(UInt32)
    }

    /// Input that is not protobuf wire format.
    public struct Malformed: Error, Equatable {}

    private var bytes: ArraySlice<UInt8>

    public init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    /// The next field, or nil at the end.
    public mutating func next() throws -> (number: Int, value: Value)? {
        guard !bytes.isEmpty else { return nil }
        let key = try readVarint()
        let number = Int(key >> 3)
        guard number > 0, number < (1 << 29) else { throw Malformed() }
        switch key & 7 {
        case 0: return (number, .varint(try readVarint()))
        case 1: return (number, .fixed64(UInt64(littleEndian: try readFixed(8))))
        case 2:
            let length = try readVarint()
            guard length <= UInt64(bytes.count) else { throw Malformed() }
            let start = bytes.startIndex
            let end = start + Int(length)
            defer { bytes = bytes[end...] }
            return (number, .lengthDelimited(bytes[start..<end]))
        case 5: return (number, .fixed32(UInt32(truncatingIfNeeded: try readFixed(4))))
        default: throw Malformed()  // groups (3, 4) and unknown wire types
        }
    }

    private mutating func readVarint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = bytes.first {
            bytes = bytes.dropFirst()
            guard shift < 64 else { throw Malformed() }
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        throw Malformed()
    }

    private mutating func readFixed(_ count: Int) throws -> UInt64 {
        guard bytes.count >= count else { throw Malformed() }
        var result: UInt64 = 0
        for (index, byte) in bytes.prefix(count).enumerated() { result |= UInt64(byte) << (8 * UInt64(index)) }
        bytes = bytes.dropFirst(count)
        return result
    }
}

extension ProtobufWireReader.Value {
    /// The field as UTF-8 text, when it is length-delimited.
    var text: String? {
        if case .lengthDelimited(let slice) = self { return String(decoding: slice, as: UTF8.self) }
        return nil
    }

    var slice: ArraySlice<UInt8>? {
        if case .lengthDelimited(let slice) = self { return slice }
        return nil
    }
}
