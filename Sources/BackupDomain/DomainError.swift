/// One problem in a request, with where it is.
public struct ValidationIssue: Equatable, Sendable, CustomStringConvertible {
    /// The document and JSON path, e.g. `chi_definition: spec.configuration.clusters[0].name`.
    public let path: String
    /// What is wrong, e.g. `must be a non-empty string`.
    public let problem: String

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
}

/// A failure of the domain, classified once. The service module maps each kind to its gRPC
/// status; messages are written for the client and never hold secrets.
public struct DomainError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The classes of the house error map.
    public enum Kind: Sendable, Equatable {
        case invalidArgument, failedPrecondition, notFound, alreadyExists, aborted, unavailable
        case permissionDenied, unauthenticated, unimplemented, deadlineExceeded, cancelled, `internal`
    }

    public let kind: Kind
    public let message: String
    /// Every problem found, when the error is a validation failure.
    public let issues: [ValidationIssue]

    public init(_ kind: Kind, _ message: String, issues: [ValidationIssue] = []) {
        self.kind = kind
        self.message = message
        self.issues = issues
    }

    /// An INVALID_ARGUMENT listing every issue, one per line after a count.
    /// At most ``shownIssues`` are written out (a document with thousands of bad entries
    /// still gives a message a client can receive).
    public static func invalid(_ issues: [ValidationIssue]) -> DomainError {
        let count = issues.count == 1 ? "1 problem" : "\(issues.count) problems"
        var lines = issues.prefix(shownIssues).map { "- \($0)" }
        if issues.count > shownIssues { lines.append("- … and \(issues.count - shownIssues) more") }
        return DomainError(.invalidArgument, "invalid request, \(count):\n\(lines.joined(separator: "\n"))", issues: issues)
    }

    /// How many problems an INVALID_ARGUMENT message lists.
    public static let shownIssues = 20

    public var description: String { message }
}
