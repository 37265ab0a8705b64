import BackupDomain
import CYAML

/// Reads one YAML document (a JSON document is YAML too) into a ``JSONValue`` with libyaml's
/// event parser. Plain scalars keep YAML 1.1's core meanings (`null`/`~`/empty, `true`/`false`,
/// numbers); quoted ones are strings. Aliases and anchors are refused (they are how YAML bombs
/// start, and a policy file needs none), as are several documents in one file.
public enum YAMLDocument {
    /// Why a file could not be read as YAML.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { "unreadable YAML: \(message)" }
    }

    /// Most nesting accepted (a policy file is shallow; a deep one is a mistake or an attack).
    public static let maxDepth = 64

    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> JSONValue {
        let reader = YAMLEventReader(bytes)
        var stack: [Container] = []
        var result: JSONValue?
        while true {
            let event = try reader.next()
            switch event {
            case .end: return result ?? .null
            case .documentStart where result != nil: throw ParseError(message: "more than one document (line \(reader.line))")
            case .documentStart, .documentEnd: continue
            case .alias: throw ParseError(message: "an alias (line \(reader.line)): anchors and aliases are refused")
            case .mappingStart, .sequenceStart:
                guard stack.count < maxDepth else { throw ParseError(message: "nested deeper than \(maxDepth) (line \(reader.line))") }
                stack.append(event == .mappingStart ? .mapping([:], key: nil) : .sequence([]))
            case .scalar(let value):
                try add(value, to: &stack, result: &result, line: reader.line)
            case .collectionEnd:
                let finished = stack.removeLast().value
                try add(finished, to: &stack, result: &result, line: reader.line)
            }
        }
    }

    private enum Container {
        case mapping([String: JSONValue], key: String?)
        case sequence([JSONValue])

        var value: JSONValue {
            switch self {
            case .mapping(let members, _): return .object(members)
            case .sequence(let items): return .array(items)
            }
        }
    }

    private static func add(_ value: JSONValue, to stack: inout [Container], result: inout JSONValue?, line: Int) throws(ParseError) {
        guard let top = stack.popLast() else { result = value; return }
        switch top {
        case .sequence(var items):
            items.append(value)
            stack.append(.sequence(items))
        case .mapping(var members, key: nil):
            guard case .string(let key) = value.asKey else { throw ParseError(message: "a mapping key that is not a scalar (line \(line))") }
            if members[key] != nil { throw ParseError(message: "key \(BoundedText.quoted(key)) twice in one mapping (line \(line))") }
            members[key] = .null
            stack.append(.mapping(members, key: key))
        case .mapping(var members, key: let key?):
            members[key] = value
            stack.append(.mapping(members, key: nil))
        }
    }
}

private extension JSONValue {
    /// A scalar as a mapping key (YAML allows `1: x`; JSON keys are strings).
    var asKey: JSONValue {
        switch self {
        case .string: return self
        case .number(let text): return .string(text)
        case .bool(let flag): return .string(flag ? "true" : "false")
        case .null: return .string("")
        default: return .null
        }
    }
}

/// libyaml's parser, owned here and freed in `deinit`, as a stream of simple events.
final class YAMLEventReader {
    enum Event: Equatable {
        case documentStart, documentEnd, mappingStart, sequenceStart, collectionEnd, alias, end
        case scalar(JSONValue)
    }

    private var parser = yaml_parser_t()
    /// The input, copied once: libyaml reads it through a pointer across calls.
    private let input: UnsafeMutableBufferPointer<UInt8>
    private(set) var line = 0

    init(_ bytes: [UInt8]) {
        input = .allocate(capacity: max(bytes.count, 1))
        _ = input.initialize(from: bytes)
        yaml_parser_initialize(&parser)
        yaml_parser_set_input_string(&parser, input.baseAddress!, bytes.count)
    }

    deinit {
        yaml_parser_delete(&parser)
        input.deallocate()
    }

    func next() throws(YAMLDocument.ParseError) -> Event {
        var event = yaml_event_t()
        guard yaml_parser_parse(&parser, &event) == 1 else {
            let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
            throw YAMLDocument.ParseError(message: "\(problem) at line \(parser.problem_mark.line + 1)")
        }
        defer { yaml_event_delete(&event) }
        line = Int(event.start_mark.line) + 1
        switch event.type {
        case YAML_STREAM_END_EVENT: return .end
        case YAML_DOCUMENT_START_EVENT: return .documentStart
        case YAML_DOCUMENT_END_EVENT: return .documentEnd
        case YAML_MAPPING_START_EVENT:
            if event.data.mapping_start.anchor != nil { return .alias }
            return .mappingStart
        case YAML_SEQUENCE_START_EVENT:
            if event.data.sequence_start.anchor != nil { return .alias }
            return .sequenceStart
        case YAML_MAPPING_END_EVENT, YAML_SEQUENCE_END_EVENT: return .collectionEnd
        case YAML_ALIAS_EVENT: return .alias
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            if scalar.anchor != nil { return .alias }
            let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            return .scalar(scalar.style == YAML_PLAIN_SCALAR_STYLE ? Self.plain(text) : .string(text))
        default: return try next()  // stream start
        }
    }

    /// A plain scalar's YAML meaning.
    static func plain(_ text: String) -> JSONValue {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default:
            if Int(text) != nil || (Double(text) != nil && text.allSatisfy({ "0123456789.eE+-".contains($0) })) { return .number(text) }
            return .string(text)
        }
    }
}
