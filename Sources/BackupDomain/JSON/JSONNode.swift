/// Collects validation issues while a document is decoded, so every problem is reported
/// at once instead of the first one only.
public final class IssueLog {
    public private(set) var issues: [ValidationIssue] = []

    public init() {}

    public func add(_ path: String, _ problem: String) {
        issues.append(ValidationIssue(path: path, problem: problem))
    }
}

/// A position in a JSON document: the value there (if any) and its path. Typed accessors
/// log an issue when the value has the wrong type; missing optional values are not issues.
public struct JSONNode {
    public let value: JSONValue?
    /// The path within the document, e.g. `spec.backup.s3.destinationPath`.
    public let path: String
    /// The document's name, e.g. `backup_definition`.
    public let document: String
    let log: IssueLog

    public init(_ value: JSONValue?, document: String, log: IssueLog) {
        self.value = value
        self.path = ""
        self.document = document
        self.log = log
    }

    private init(_ value: JSONValue?, path: String, document: String, log: IssueLog) {
        self.value = value
        self.path = path
        self.document = document
        self.log = log
    }

    /// A value the document does not hold but a default supplies, decoded as if it stood at
    /// `node` (its problems are reported there).
    public static func synthesized(_ value: JSONValue, at node: JSONNode) -> JSONNode {
        JSONNode(value, path: node.path, document: node.document, log: node.log)
    }

    /// The full location for messages: `document: path`.
    public var location: String { path.isEmpty ? "\(document): (root)" : "\(document): \(path)" }

    /// Logs a problem at this node.
    public func issue(_ problem: String) { log.add(location, problem) }

    /// True when the key is absent or null.
    public var isMissing: Bool {
        if let value, value != .null { return false }
        return true
    }

    /// True when nothing is set here: absent, null, an empty string or list, or an object
    /// whose members are all unset. Go's `json.Marshal` (the operator's encoder) never omits a
    /// nested struct, so a part nobody set arrives as `{}` or `{"name": ""}`: not an error.
    public var isUnset: Bool {
        guard let value, value != .null else { return true }
        switch value {
        case .string(let text): return text.isEmpty
        case .array(let items): return items.isEmpty
        case .object(let members): return members.keys.allSatisfy { self[$0].isUnset }
        default: return false
        }
    }

    /// The string when one is set (an empty string is unset), or nil (logging an issue when
    /// present but not a string).
    public var optionalString: String? { isUnset ? nil : string }

    /// The member `key` (absent members give a missing node).
    public subscript(key: String) -> JSONNode {
        JSONNode(value?[key], path: path.isEmpty ? key : "\(path).\(key)", document: document, log: log)
    }

    /// The object's members, or nil (logging an issue) when present but not an object.
    public var object: [String: JSONValue]? {
        guard !isMissing else { return nil }
        if case .object(let members) = value! { return members }
        issue("must be an object, not \(value!.typeName)")
        return nil
    }

    /// The array's items, or nil (logging an issue) when present but not an array.
    public var items: [JSONNode]? {
        guard !isMissing else { return nil }
        guard case .array(let values) = value! else {
            issue("must be an array, not \(value!.typeName)")
            return nil
        }
        return values.enumerated().map { JSONNode($1, path: "\(path)[\($0)]", document: document, log: log) }
    }

    /// The string, or nil (logging an issue) when present but not a string.
    public var string: String? {
        guard !isMissing else { return nil }
        if case .string(let text) = value! { return text }
        issue("must be a string, not \(value!.typeName)")
        return nil
    }

    /// A required non-empty string; logs an issue when missing or empty.
    public var requiredString: String? {
        guard !isMissing else {
            issue("is required")
            return nil
        }
        guard let text = string else { return nil }
        if text.isEmpty { issue("must not be empty") ; return nil }
        return text
    }

    /// An integer in `range`, or nil (logging an issue) when present but not one.
    public func integer(in range: ClosedRange<Int>) -> Int? {
        guard !isMissing else { return nil }
        guard case .number(let text) = value!, let number = Int(text) else {
            issue("must be an integer, not \(value!.typeName == "a number" ? "a fraction" : value!.typeName)")
            return nil
        }
        guard range.contains(number) else {
            issue("must be between \(range.lowerBound) and \(range.upperBound), not \(number)")
            return nil
        }
        return number
    }

    /// A flag in the operator's style: a JSON boolean, or a string such as "yes"/"no",
    /// "true"/"false", "1"/"0", "enabled"/"disabled" (case-insensitive).
    public var flag: Bool? {
        guard !isMissing else { return nil }
        switch value! {
        case .bool(let flag): return flag
        case .string(let text):
            switch text.lowercased() {
            case "yes", "true", "1", "on", "enabled": return true
            case "no", "false", "0", "off", "disabled", "": return false
            default:
                issue("must be a boolean or one of yes/no, true/false, 1/0, not \(BoundedText.quoted(text))")
                return nil
            }
        default:
            issue("must be a boolean or one of yes/no, true/false, 1/0, not \(value!.typeName)")
            return nil
        }
    }
}
