/// The kinds of asset inventory file Vigil reads.
public enum InventoryFormat: String, Sendable {
    case csv
    case cycloneDX
}

/// What reading one inventory file produced: the assets, and every problem that stops the file from being imported.
///
/// Import the assets only when `isClean`: a file with problems is imported not at all, never in part. `assets` still
/// holds the rows or components that were fine, so a preview can say how much of the file is usable.
public struct InventoryReadResult: Sendable {
    public var assets: [AssetDraft]
    /// Everything that must be fixed before the file can be imported, in file order.
    public var problems: [InventoryProblem]
    /// Things a person should know that do not stop the import: columns or components that are not read.
    public var warnings: [InventoryProblem]
    /// The format the file was read as.
    public var format: InventoryFormat

    /// Whether the file may be imported: it has no problems (warnings do not count).
    public var isClean: Bool { problems.isEmpty }

    public init(assets: [AssetDraft], problems: [InventoryProblem], warnings: [InventoryProblem] = [],
                format: InventoryFormat) {
        self.assets = assets
        self.problems = problems
        self.warnings = warnings
        self.format = format
    }
}

/// One thing wrong with an inventory file, and where: the line (CSV, or a JSON syntax error) and the column or JSON
/// path it concerns, with a message that says what to change.
public struct InventoryProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem this is, for code that reacts to it; people read `message`.
    public enum Code: String, Sendable {
        // The file as a whole.
        case emptyFile, tooLarge, tooManyAssets, notUTF8, unsupportedFormat, noAssets, moreProblems
        // CSV structure and header.
        case unterminatedQuote, textAfterQuote, fieldCount, missingColumn, duplicateColumn, unknownColumn, unnamedColumn
        // Values.
        case missingValue, badCriticality, badCPE, badPURL, controlCharacter, valueTooLong, duplicateID
        // JSON and CycloneDX.
        case notJSON, notCycloneDX, unsupportedSpecVersion, wrongType, missingName, missingType, missingVendor,
             componentNotImported
    }

    public var code: Code
    /// The 1-based physical line in the file (CSV rows, JSON syntax errors), counting line breaks inside quoted fields.
    public var line: Int?
    /// The column as its header names it (CSV), or the JSON path (`components[3].components[0].version`).
    public var field: String?
    /// What is wrong and what to do about it.
    public var message: String

    public init(code: Code, line: Int? = nil, field: String? = nil, message: String) {
        self.code = code
        self.line = line
        self.field = field
        self.message = message
    }

    /// `line 7, Criticality: …` or `components[2].name: …`, for logs and the command line.
    public var description: String {
        switch (line, field) {
        case let (line?, field?): "line \(line), \(field): \(message)"
        case let (line?, nil): "line \(line): \(message)"
        case let (nil, field?): "\(field): \(message)"
        case (nil, nil): message
        }
    }
}

/// Bounds that keep one upload from exhausting the server; the defaults are what the product promises.
public struct InventoryLimits: Sendable, Equatable {
    /// Files over this many bytes are refused before anything is read (50 MB).
    public var maxBytes: Int
    /// CSV data rows, or CycloneDX components, beyond this count are refused.
    public var maxAssets: Int
    /// The longest value, in characters, that one CSV field or JSON string may hold.
    public var maxFieldLength: Int
    /// Problems listed one by one; beyond this a single summary problem gives the count of the rest.
    public var maxListedProblems: Int

    public init(maxBytes: Int = 50 * 1024 * 1024, maxAssets: Int = 1_000_000, maxFieldLength: Int = 1_000,
                maxListedProblems: Int = 1_000) {
        self.maxBytes = maxBytes
        self.maxAssets = maxAssets
        self.maxFieldLength = maxFieldLength
        self.maxListedProblems = maxListedProblems
    }
}

/// Reads an asset inventory file, CSV or CycloneDX JSON, into asset drafts and a complete list of its problems.
public enum InventoryReader {
    /// Reads `bytes` as the format their content shows: a JSON object whose `bomFormat` is `CycloneDX` is read as
    /// CycloneDX, other JSON is refused with a problem saying what it seems to be, and anything else is read as CSV.
    ///
    /// `fileName` only helps when the content is ambiguous: a `.json` name makes a file that does not start like JSON
    /// report a JSON syntax error rather than CSV problems.
    public static func read(_ bytes: [UInt8], fileName: String? = nil,
                            limits: InventoryLimits = InventoryLimits()) -> InventoryReadResult {
        let name = fileName?.lowercased() ?? ""
        guard bytes.count <= limits.maxBytes else {
            let problem = InventoryProblem(code: .tooLarge, message: "the file has \(grouped(bytes.count)) bytes, more "
                + "than the \(megabytes(limits.maxBytes)) limit; split the inventory into several files (by site, for example)")
            let format: InventoryFormat = name.hasSuffix(".json") ? .cycloneDX : .csv
            return InventoryReadResult(assets: [], problems: [problem], format: format)
        }
        if let refusal = unsupportedFormat(bytes, name: name) {
            return InventoryReadResult(assets: [], problems: [refusal], format: .csv)
        }
        switch firstSignificantByte(bytes) {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            return CycloneDXReader.read(bytes, limits: limits)
        case _ where name.hasSuffix(".json"):
            return CycloneDXReader.read(bytes, limits: limits)
        default:
            return InventoryCSVReader.read(bytes, limits: limits)
        }
    }

    /// Files that are plainly some other format people export inventories in, refused with what to do instead.
    static func unsupportedFormat(_ bytes: [UInt8], name: String) -> InventoryProblem? {
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) || name.hasSuffix(".xlsx") || name.hasSuffix(".xls")
            || bytes.starts(with: [0xD0, 0xCF, 0x11, 0xE0]) {
            return InventoryProblem(code: .unsupportedFormat, message: "this is an Excel workbook, not CSV; in Excel "
                + "choose File › Save As › \"CSV UTF-8 (comma delimited)\" and import that file")
        }
        if firstSignificantByte(bytes) == UInt8(ascii: "<") {
            return InventoryProblem(code: .unsupportedFormat, message: "this looks like XML; CycloneDX XML is not "
                + "read, export the bill of materials as CycloneDX JSON (1.4, 1.5 or 1.6) instead")
        }
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            return InventoryProblem(code: .notUTF8, message: "the file is UTF-16 text; save it as UTF-8 (in Excel: "
                + "\"CSV UTF-8 (comma delimited)\") and import it again")
        }
        return nil
    }

    /// The first byte after a UTF-8 byte order mark and whitespace, if any.
    static func firstSignificantByte(_ bytes: [UInt8]) -> UInt8? {
        var index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        return index < bytes.count ? bytes[index] : nil
    }

    /// `1,000,000`: thousands grouped with commas, for messages.
    static func grouped(_ number: Int) -> String {
        let digits = String(number.magnitude)
        var result = number < 0 ? "-" : ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0, (digits.count - offset) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return result
    }

    static func megabytes(_ count: Int) -> String {
        let tenths = (count * 10 + 524_288) / 1_048_576
        return tenths % 10 == 0 ? "\(tenths / 10) MB" : "\(tenths / 10).\(tenths % 10) MB"
    }
}

/// Collects problems in file order, listing at most `limit` of them and counting the rest.
struct InventoryProblemList {
    let limit: Int
    private(set) var listed: [InventoryProblem] = []
    private(set) var omitted = 0

    init(limit: Int) { self.limit = limit }

    var isEmpty: Bool { listed.isEmpty }
    var count: Int { listed.count + omitted }

    mutating func append(_ problem: InventoryProblem) {
        if listed.count < limit { listed.append(problem) } else { omitted += 1 }
    }

    /// The listed problems, with a closing summary when some were left out.
    var all: [InventoryProblem] {
        guard omitted > 0 else { return listed }
        return listed + [InventoryProblem(code: .moreProblems, message: "\(omitted) more problems are not listed; "
            + "fix the ones above (they are often the same mistake) and read the file again")]
    }
}
