/// Values echoed into error messages and log lines are cut to a bounded length: a client
/// must be able to receive every status (gRPC clients refuse metadata over 16 KiB by
/// default) and one hostile field must not turn into megabytes of log.
public enum BoundedText {
    /// The longest value shown whole in a message.
    public static let valueLimit = 200

    /// `text` when it has at most `limit` characters; else its first `limit` characters and a
    /// note of the full length, e.g. `abc… (20000 characters)`.
    public static func bounded(_ text: String, limit: Int = valueLimit) -> String {
        // utf8.count first: cheap, and a bound on the character count.
        guard text.utf8.count > limit, text.count > limit else { return text }
        return String(text.prefix(limit)) + "… (\(text.count) characters)"
    }

    /// A value for a message: bounded, then written as a JSON string literal.
    public static func quoted(_ text: String, limit: Int = valueLimit) -> String {
        JSONWriter.quoted(bounded(text, limit: limit))
    }
}
