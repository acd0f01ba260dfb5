/// Hosts on this machine: the one place plain HTTP is accepted, for provider mirrors, webhook receivers and tests.
public enum LoopbackHost {
    /// `localhost`, `127.x.x.x` and `::1` (with or without brackets), in any case.
    public static func contains(_ host: String) -> Bool {
        var bare = Substring(host.lowercased())
        if bare.hasPrefix("["), bare.hasSuffix("]") { bare = bare.dropFirst().dropLast() }
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
    }
}
