import Foundation

/// Splits CISA's free-text sector and country notes into clean lists.
///
/// `"Critical Manufacturing, Energy, and Water and Wastewater Systems"` is three sectors, not four: the `and` inside
/// a sector's own name stays. Well-known variants (`Multiple`, `Critical manufacturing`, `Energy Sector`) are mapped
/// to the names of the US critical infrastructure sectors; anything else is kept as written, never dropped.
public enum SectorList {
    static let canonical = [
        "Chemical", "Commercial Facilities", "Communications", "Critical Manufacturing", "Dams",
        "Defense Industrial Base", "Emergency Services", "Energy", "Financial Services", "Food and Agriculture",
        "Government Facilities", "Healthcare and Public Health", "Information Technology",
        "Nuclear Reactors, Materials, and Waste", "Transportation Systems", "Water and Wastewater Systems",
        "Multiple Sectors",
    ]
    /// The canonical names by their lower case, and the variants: one lookup per piece (lower-casing the 17 names
    /// for every piece of every document was 1.8 % of an import's CPU).
    static let lookup: [String: String] = Dictionary(canonical.map { ($0.lowercased(), $0) }, uniquingKeysWith: { first, _ in first })
        .merging(variants, uniquingKeysWith: { canonical, _ in canonical })
    static let variants: [String: String] = [
        "multiple": "Multiple Sectors", "multiple sector": "Multiple Sectors", "multiple sectors": "Multiple Sectors",
        "multiple industries": "Multiple Sectors", "critical infrastructure sector: multiple sectors": "Multiple Sectors",
        "water": "Water and Wastewater Systems", "water and wastewater": "Water and Wastewater Systems",
        "transportation": "Transportation Systems", "transportation services": "Transportation Systems",
        "communication": "Communications", "telecommunications": "Communications",
        "healthcare": "Healthcare and Public Health", "health": "Healthcare and Public Health",
        "public health": "Healthcare and Public Health",
        "government": "Government Facilities", "government services and facilities": "Government Facilities",
        "government facilitates": "Government Facilities",
        "food and agricultural": "Food and Agriculture", "agriculture and food": "Food and Agriculture",
        "critical manufacturer": "Critical Manufacturing", "critical manuacturing": "Critical Manufacturing",
        "manufacturing": "Critical Manufacturing",
        "nuclear reactors, materials and waste": "Nuclear Reactors, Materials, and Waste",
    ]

    /// The sectors named in a CISA `Critical infrastructure sectors` note, deduplicated, in the order given.
    public static func split(_ text: String) -> [String] {
        var work = String(String.UnicodeScalarView(text.unicodeScalars.map { $0 == "\n" || $0 == "\t" ? " " : $0 }))
        // The one sector whose name holds commas: protect it before splitting on commas. (Checked natively first:
        // Foundation's case-insensitive replace is slow and almost never needed.)
        let nuclear = "\u{1}NUCLEAR\u{1}"
        if work.lowercased().utf8.firstRange(of: "nuclear reactors".utf8) != nil {
            for spelling in ["Nuclear Reactors, Materials, and Waste", "Nuclear Reactors, Materials and Waste"] {
                work = work.replacingOccurrences(of: spelling, with: nuclear, options: .caseInsensitive)
            }
        }
        var result: [String] = []
        for rawPiece in work.split(whereSeparator: { $0 == "," || $0 == ";" }) {
            var piece = rawPiece.trimmed
            while piece.hasSuffix(".") { piece.removeLast() }
            if piece.lowercased().hasPrefix("and ") { piece = String(piece.dropFirst(4)) }
            else if piece.hasPrefix("and"), piece.dropFirst(3).first?.isUppercase == true { piece = String(piece.dropFirst(3)) }
            piece = piece.trimmed
            if piece.isEmpty { continue }
            if piece == nuclear { piece = "Nuclear Reactors, Materials, and Waste" }
            let sector = canonicalName(piece)
            if !result.contains(sector) { result.append(sector) }
        }
        return result
    }

    static func canonicalName(_ piece: String) -> String {
        var lowered = piece.lowercased()
        if let known = lookup[lowered] { return known }
        if lowered.hasSuffix(" sector") {
            lowered.removeLast(7)
            if let known = lookup[lowered] { return known }
        }
        return piece
    }

    /// The countries or areas in a `Countries/areas deployed` note.
    public static func splitCountries(_ text: String) -> [String] {
        var result: [String] = []
        for rawPiece in text.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == "\n" }) {
            var piece = rawPiece.trimmed
            if piece.lowercased().hasPrefix("and ") { piece = String(piece.dropFirst(4)) }
            while piece.hasSuffix(".") { piece.removeLast() }
            if !piece.isEmpty, !result.contains(piece) { result.append(piece) }
        }
        return result
    }
}
