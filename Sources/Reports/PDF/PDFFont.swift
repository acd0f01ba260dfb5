import Foundation

/// The fonts a Vigil PDF uses: two of PDF's standard 14, which every reader has, so nothing is embedded. Text is
/// written in WinAnsiEncoding (Windows-1252): Latin-1 and the 0x80–0x9F block (€ ‚ „ … – — ‘ ’ “ ” • ™ Š š Ž ž Œ œ Ÿ
/// and the rest). A character outside it (CJK, Cyrillic, emoji, …) is written as `?`, one per character.
public enum PDFFont: Sendable, Hashable, CaseIterable {
    case helvetica, helveticaBold

    /// The font's PostScript name.
    public var postScriptName: String {
        switch self {
        case .helvetica: "Helvetica"
        case .helveticaBold: "Helvetica-Bold"
        }
    }

    /// The name its pages' resources give it.
    var resourceName: String {
        switch self {
        case .helvetica: "F1"
        case .helveticaBold: "F2"
        }
    }

    /// How wide `text` is at `size` points, from the font's AFM metrics (no kerning, as the PDF draws it).
    public func width(of text: String, size: Double) -> Double {
        width(ofEncoded: WinAnsi.encode(text), size: size)
    }

    /// How wide WinAnsi bytes are at `size` points.
    func width(ofEncoded bytes: [UInt8], size: Double) -> Double {
        Double(units(of: bytes)) * size / 1000
    }

    /// The width in thousandths of an em.
    func units(of bytes: [UInt8]) -> Int {
        let table = self == .helvetica ? Self.helveticaWidths : Self.helveticaBoldWidths
        return bytes.reduce(0) { $0 + ($1 >= 32 ? table[Int($1) - 32] : 0) }
    }

    /// Breaks `text` into lines no wider than `width` at `size`: at spaces, at the line breaks it holds, and inside a
    /// word only when the word alone is wider than the line. Runs of spaces between words become one.
    public func wrap(_ text: String, size: Double, width: Double) -> [String] {
        let limit = Int((width * 1000 / size).rounded(.down))
        let spaceUnits = units(of: [0x20])
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = "", lineUnits = 0
            for word in paragraph.split(separator: " ") {
                let wordUnits = units(of: WinAnsi.encode(String(word)))
                if line.isEmpty, wordUnits <= limit {
                    line = String(word); lineUnits = wordUnits
                } else if !line.isEmpty, lineUnits + spaceUnits + wordUnits <= limit {
                    line += " " + word; lineUnits += spaceUnits + wordUnits
                } else {
                    if !line.isEmpty { lines.append(line) }
                    // A word wider than a whole line is cut between characters; its last piece starts the next line.
                    var pieces = breakWord(String(word), limit: limit)
                    line = pieces.removeLast()
                    lineUnits = units(of: WinAnsi.encode(line))
                    lines += pieces
                }
            }
            lines.append(line)
        }
        return lines
    }

    private func breakWord(_ word: String, limit: Int) -> [String] {
        var pieces: [String] = [], piece = "", pieceUnits = 0
        for character in word {
            let characterUnits = units(of: WinAnsi.encode(String(character)))
            // At least one character per line, even one wider than the line, so wrapping always ends.
            if !piece.isEmpty, pieceUnits + characterUnits > limit {
                pieces.append(piece); piece = ""; pieceUnits = 0
            }
            piece.append(character); pieceUnits += characterUnits
        }
        pieces.append(piece)
        return pieces
    }

    // Advance widths of WinAnsi codes 32...255 from Adobe's Helvetica and Helvetica-Bold AFM files (codes with no glyph
    // in WinAnsiEncoding: 0; `WinAnsi.encode` never produces them).
    private static let helveticaWidths: [Int] = [
        278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // 0x20
        556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0x30
        1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // 0x40
        667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // 0x50
        333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // 0x60
        556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 0, // 0x70
        556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, // 0x80
        0, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667, // 0x90
        278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 0xA0
        400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 0xB0
        667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, // 0xC0
        722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 0xD0
        556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278, // 0xE0
        556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500, // 0xF0
    ]

    private static let helveticaBoldWidths: [Int] = [
        278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // 0x20
        556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // 0x30
        975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // 0x40
        667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // 0x50
        333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, // 0x60
        611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 0, // 0x70
        556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, // 0x80
        0, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667, // 0x90
        278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 0xA0
        400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 0xB0
        722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, // 0xC0
        722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 0xD0
        556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278, // 0xE0
        611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556, // 0xF0
    ]
}

/// Unicode to WinAnsiEncoding (PDF's name for Windows-1252), the byte encoding of every string Vigil draws.
public enum WinAnsi {
    /// The byte for each character of `text`; a character outside WinAnsi becomes `?` (0x3F), a tab a space, and other
    /// control characters (line breaks included: draw lines one by one) `?`. A character spelled decomposed (e and a
    /// combining acute accent) is composed first, so it finds its Latin-1 byte.
    public static func encode(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for character in text {
            let scalars = character.unicodeScalars
            if scalars.count == 1, let byte = byte(for: scalars.first!) {
                bytes.append(byte)
            } else if scalars.count > 1, case let composed = String(character).precomposedStringWithCanonicalMapping.unicodeScalars,
                      composed.count == 1, let byte = byte(for: composed.first!) {
                bytes.append(byte)
            } else {
                bytes.append(0x3F)
            }
        }
        return bytes
    }

    /// The WinAnsi byte of one scalar, if it has one.
    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        switch scalar.value {
        case 0x09: 0x20
        case 0x20...0x7E, 0xA0...0xFF: UInt8(scalar.value)
        default: high[scalar.value]
        }
    }

    /// The 0x80–0x9F block, where Windows-1252 departs from Latin-1.
    private static let high: [UInt32: UInt8] = [
        0x20AC: 0x80, 0x201A: 0x82, 0x0192: 0x83, 0x201E: 0x84, 0x2026: 0x85, 0x2020: 0x86, 0x2021: 0x87,
        0x02C6: 0x88, 0x2030: 0x89, 0x0160: 0x8A, 0x2039: 0x8B, 0x0152: 0x8C, 0x017D: 0x8E,
        0x2018: 0x91, 0x2019: 0x92, 0x201C: 0x93, 0x201D: 0x94, 0x2022: 0x95, 0x2013: 0x96, 0x2014: 0x97,
        0x02DC: 0x98, 0x2122: 0x99, 0x0161: 0x9A, 0x203A: 0x9B, 0x0153: 0x9C, 0x017E: 0x9E, 0x0178: 0x9F,
    ]
}
