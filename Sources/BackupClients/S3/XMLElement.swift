import CExpat

/// An element of an XML document as S3 answers it: a name, child elements and text. Parsed by
/// Expat, so entities and character references (`&#39;`, `&#x1F600;`) are decoded as XML says.
public struct XMLElement: Sendable, Equatable {
    public var name: String
    public var children: [XMLElement] = []
    /// The element's own character data (of S3's leaf elements: the value).
    public var text: String = ""

    /// The first child named `name`.
    public func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }

    /// Every child named `name`.
    public func children(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }

    /// The text of the first child named `name`.
    public func value(_ name: String) -> String? { child(name)?.text }
}

/// Why a body could not be read as XML.
public struct XMLParseError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { "unreadable XML: \(message)" }
}

/// One Expat parser, owned here and freed in `deinit`; callbacks build the tree through the
/// parser's user data. Documents with a DTD are refused (S3 never sends one, and entity
/// declarations are how XML bombs start).
final class ExpatTreeBuilder {
    private let parser: XML_Parser
    private var stack: [XMLElement] = []
    private(set) var root: XMLElement?
    fileprivate var refusedDTD = false

    init() {
        parser = XML_ParserCreate("UTF-8")
    }

    deinit { XML_ParserFree(parser) }

    func parse(_ bytes: [UInt8]) throws -> XMLElement {
        XML_SetUserData(parser, Unmanaged.passUnretained(self).toOpaque())
        XML_SetElementHandler(parser, { user, name, _ in
            guard let user, let name else { return }
            ExpatTreeBuilder.from(user).stack.append(XMLElement(name: String(cString: name)))
        }, { user, _ in
            guard let user else { return }
            let builder = ExpatTreeBuilder.from(user)
            guard let element = builder.stack.popLast() else { return }
            if builder.stack.isEmpty { builder.root = element } else { builder.stack[builder.stack.count - 1].children.append(element) }
        })
        XML_SetCharacterDataHandler(parser, { user, data, length in
            guard let user, let data, length > 0 else { return }
            let builder = ExpatTreeBuilder.from(user)
            guard !builder.stack.isEmpty else { return }
            let chunk = UnsafeRawBufferPointer(start: data, count: Int(length))
            builder.stack[builder.stack.count - 1].text += String(decoding: chunk, as: UTF8.self)
        })
        XML_SetStartDoctypeDeclHandler(parser, { user, _, _, _, _ in
            guard let user else { return }
            let builder = ExpatTreeBuilder.from(user)
            builder.refusedDTD = true
            XML_StopParser(builder.parser, XML_FALSE)
        })
        let status = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(buffer.count, 1)) {
                XML_Parse(parser, $0, Int32(buffer.count), 1)
            }
        }
        if refusedDTD { throw XMLParseError(message: "a document type declaration (refused)") }
        guard status == XML_STATUS_OK, let root else {
            let reason = XML_ErrorString(XML_GetErrorCode(parser)).map { String(cString: $0) } ?? "unknown error"
            throw XMLParseError(message: "\(reason) at line \(XML_GetCurrentLineNumber(parser))")
        }
        return root
    }

    private static func from(_ user: UnsafeMutableRawPointer) -> ExpatTreeBuilder {
        Unmanaged<ExpatTreeBuilder>.fromOpaque(user).takeUnretainedValue()
    }
}

extension XMLElement {
    /// Parses a whole document (an empty body has no root and is an error).
    public static func parse(_ bytes: [UInt8]) throws -> XMLElement {
        guard !bytes.isEmpty else { throw XMLParseError(message: "an empty body") }
        return try ExpatTreeBuilder().parse(bytes)
    }
}
