/// How a source attribute value relates to a target one (NISTIR 7696 §6.1): the set of values the source names
/// compared with the set the target names.
public enum CPEAttributeRelation: Sendable, Hashable {
    /// The source names every value the target names, and more.
    case superset
    /// The source names only values the target names.
    case subset
    /// Both name the same values.
    case equal
    /// They name no value in common.
    case disjoint
    /// The target holds wildcards, which NISTIR 7696 does not compare.
    case undefined
}

extension CPEAttributeValue {
    /// Compares this source value with a target value by NISTIR 7696's `compare` (§6.1.2): wildcards in the source
    /// are honoured, a wildcard in the target makes the result `.undefined`.
    public func relation(to target: CPEAttributeValue) -> CPEAttributeRelation {
        let targetUnits = target.units
        if let targetUnits, targetUnits.hasWildcards { return .undefined }
        switch (self, target) {
        case (.any, .any), (.notApplicable, .notApplicable): return .equal
        case (.any, _): return .superset
        case (_, .any): return .subset
        case (.notApplicable, _), (_, .notApplicable): return .disjoint
        case (.value, .value):
            guard let sourceUnits = units, let targetUnits else { return .undefined }
            if sourceUnits == targetUnits { return .equal }
            return Self.compareStrings(sourceUnits.units, targetUnits.literals)
        }
    }

    private var units: CPEValueUnits? {
        guard case .value(let text) = self else { return nil }
        return try? CPEValueUnits(logical: text, attribute: "value")
    }

    /// NISTIR 7696 `compareStrings`: the source's literal middle must occur in the target with no more characters
    /// before it than the source's leading `?`s allow (any number after a leading `*`), and likewise after it.
    private static func compareStrings(_ source: [CPEValueUnits.Unit], _ target: [UInt8]) -> CPEAttributeRelation {
        var middle = source[...]
        var begins = 0, ends = 0   // -1: a `*`, any number of characters
        if middle.first == .multiple {
            begins = -1
            middle = middle.dropFirst()
        } else {
            while middle.first == .single { begins += 1; middle = middle.dropFirst() }
        }
        if middle.last == .multiple {
            ends = -1
            middle = middle.dropLast()
        } else {
            while middle.last == .single { ends += 1; middle = middle.dropLast() }
        }
        let literal = middle.compactMap(\.literalByte)
        guard literal.count <= target.count else { return .disjoint }
        for index in 0...(target.count - literal.count) where target[index..<(index + literal.count)].elementsEqual(literal) {
            if begins != -1, index > begins { break }
            let leftover = target.count - index - literal.count
            if ends != -1, leftover > ends { continue }
            return .superset
        }
        return .disjoint
    }
}

extension CPEName {
    /// The relation of each attribute of `source` to the same attribute of `target`, in binding order
    /// (NISTIR 7696 §6.1.1 `compare_WFNs`).
    public static func compare(_ source: CPEName, _ target: CPEName) -> [CPEAttributeRelation] {
        zip(source.attributes, target.attributes).map { $0.relation(to: $1) }
    }

    /// Whether the names share no platform: some attribute is disjoint (NISTIR 7696 §6.2 CPE_DISJOINT).
    public static func isDisjoint(_ source: CPEName, _ target: CPEName) -> Bool {
        compare(source, target).contains(.disjoint)
    }

    /// Whether every attribute is equal (CPE_EQUAL).
    public static func isEqual(_ source: CPEName, _ target: CPEName) -> Bool {
        compare(source, target).allSatisfy { $0 == .equal }
    }

    /// Whether every attribute of the source is a subset of or equal to the target's (CPE_SUBSET).
    public static func isSubset(_ source: CPEName, _ target: CPEName) -> Bool {
        compare(source, target).allSatisfy { $0 == .subset || $0 == .equal }
    }

    /// Whether every attribute of the source is a superset of or equal to the target's (CPE_SUPERSET).
    public static func isSuperset(_ source: CPEName, _ target: CPEName) -> Bool {
        compare(source, target).allSatisfy { $0 == .superset || $0 == .equal }
    }

    /// Whether this name (an advisory's, say `cpe:2.3:a:ni:labview:24.*:*:*:*:*:*:*:*`) covers `target` (an asset's
    /// `cpe:2.3:a:ni:labview:24.3.1:*:*:*:*:*:*:*`): a superset of it or equal to it, attribute by attribute.
    public func matches(_ target: CPEName) -> Bool {
        Self.isSuperset(self, target)
    }
}
