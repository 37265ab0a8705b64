/// Kubernetes object-name rules, checked before names reach S3 keys or SQL strings.
public enum KubernetesNames {
    /// RFC 1123 subdomain as Kubernetes checks it (metadata.name of most objects): parts of
    /// lower-case letters, digits and `-`, alphanumeric at both ends, joined by `.`, at most
    /// 253 characters in all (Kubernetes sets no per-part limit).
    public static func isSubdomain(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isLabel(String($0), limit: 253) }
    }

    /// RFC 1123 label: lower-case letters, digits and `-`, alphanumeric at both ends (namespaces).
    public static func isLabel(_ name: String, limit: Int = 63) -> Bool {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= limit else { return false }
        func alnum(_ b: UInt8) -> Bool { (0x61...0x7A).contains(b) || (0x30...0x39).contains(b) }
        return alnum(bytes.first!) && alnum(bytes.last!) && bytes.allSatisfy { alnum($0) || $0 == 0x2D }
    }
}
