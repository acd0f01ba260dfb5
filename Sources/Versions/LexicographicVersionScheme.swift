/// The generic `lexicographic` scheme: versions order by their UTF-8 bytes, compared as unsigned bytes without any
/// Unicode normalisation.
struct LexicographicVersionScheme: VersionScheme {
    let name = "lexicographic"

    func isValid(_ version: String) -> Bool { !version.isEmpty }

    func normalize(_ version: String) -> String { version }

    func compare(_ lhs: String, _ rhs: String) -> VersionOrder? {
        guard !lhs.isEmpty, !rhs.isEmpty else { return nil }
        if lhs.utf8.elementsEqual(rhs.utf8) { return .same }
        return lhs.utf8.lexicographicallyPrecedes(rhs.utf8) ? .ascending : .descending
    }
}
