/// Quoting for ClickHouse SQL. Every name and string the plugin puts in a statement goes
/// through here, so no input can end a literal early.
public enum SQLQuoting {
    /// A backtick-quoted identifier: backslash and backtick are backslash-escaped, control
    /// characters are written as escapes.
    public static func identifier(_ name: String) -> String { quote(name, with: "`") }

    /// A single-quoted string literal, escaped the same way.
    public static func string(_ text: String) -> String { quote(text, with: "'") }

    private static func quote(_ text: String, with quote: Character) -> String {
        var out = String(quote)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\0": out += "\\0"
            case _ where Character(scalar) == quote: out += "\\" + String(quote)
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                out += "\\x" + (hex.count == 1 ? "0" : "") + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out.append(quote)
        return out
    }
}
