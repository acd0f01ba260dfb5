import CSAF
import Foundation

/// An asset field that an inventory column can fill.
public enum InventoryField: String, Sendable, CaseIterable {
    case assetID = "asset id"
    case vendor, product, version
    case modelNumber = "model number"
    case serialNumber = "serial number"
    case site, area, owner, criticality, tags, cpe, purl
}

/// One asset field and the CSV header names that fill it.
public struct InventoryColumn: Sendable, Equatable {
    public var field: InventoryField
    /// The header names that mean this field, the preferred one first. They are compared ignoring case, spaces and
    /// punctuation, so `Serial No.`, `serial_no` and `SERIAL-NO` are one name.
    public var names: [String]
    /// What the column holds and which values it accepts, for the README and the import page.
    public var meaning: String
    public var isRequired: Bool
}

/// Reads an asset inventory exported as CSV: RFC 4180 quoting, comma, semicolon or tab delimiters, tolerant headers,
/// and a problem with its physical line number for every row that cannot be imported.
///
/// The first non-empty line is the header. An Excel `sep=;` line before it sets the delimiter; otherwise the most
/// frequent of comma, semicolon and tab in the header line is used. Blank rows (also rows of only delimiters) are
/// skipped. Columns whose header is not in `documentedHeaders` are not imported and each gives a warning.
public enum InventoryCSVReader {
    /// The columns Vigil reads and the header names each accepts. This table is the documentation: the README and the
    /// import page show it through `headersMarkdown`.
    public static let documentedHeaders: [InventoryColumn] = [
        InventoryColumn(field: .vendor, names: ["vendor", "manufacturer", "make", "maker", "brand", "supplier", "Hersteller"],
                        meaning: "Who makes the product, as advisories name it (`Siemens`, `Schneider Electric`).",
                        isRequired: true),
        InventoryColumn(field: .product,
                        names: ["product", "product name", "model name", "device", "device name", "name", "Produkt"],
                        meaning: "The product (`SIMATIC S7-1500 CPU 1516-3 PN/DP`).", isRequired: true),
        InventoryColumn(field: .version,
                        names: ["version", "firmware", "firmware version", "fw", "fw version", "software version",
                                "sw version"],
                        meaning: "Firmware or software version, as the device shows it (`V2.9.2`).", isRequired: false),
        InventoryColumn(field: .modelNumber,
                        names: ["model number", "model", "order number", "article number", "MLFB", "part number",
                                "product number", "catalog number", "catalogue number", "Bestellnummer",
                                "Artikelnummer"],
                        meaning: "Order or model number (`6ES7516-3AN02-0AB0`, `1756-L85E`).", isRequired: false),
        InventoryColumn(field: .serialNumber, names: ["serial number", "serial", "serial no", "SN", "Seriennummer"],
                        meaning: "Serial number of this unit.", isRequired: false),
        InventoryColumn(field: .site, names: ["site", "plant", "location", "Standort", "Werk"],
                        meaning: "Site or plant.", isRequired: false),
        InventoryColumn(field: .area, names: ["area", "zone", "line", "cell", "Bereich"],
                        meaning: "Area, zone, production line or cell within the site.", isRequired: false),
        InventoryColumn(field: .owner, names: ["owner", "responsible", "contact", "Verantwortlich"],
                        meaning: "Who is responsible for the asset.", isRequired: false),
        InventoryColumn(field: .criticality, names: ["criticality", "priority", "importance", "Kritikalität"],
                        meaning: "`low`, `medium`, `high` or `critical` (any case); empty when unknown.",
                        isRequired: false),
        InventoryColumn(field: .tags, names: ["tags", "labels"],
                        meaning: "Free labels, separated by `;`, `,` or `|` (quote the field when it contains the "
                            + "file's delimiter).", isRequired: false),
        InventoryColumn(field: .assetID, names: ["asset id", "id", "asset tag", "tag number", "asset number",
                                                 "inventory number", "Inventarnummer"],
                        meaning: "Your own identifier for the asset; must be unique within the file.",
                        isRequired: false),
        InventoryColumn(field: .cpe, names: ["cpe", "cpe name", "cpe 2.3"],
                        meaning: "CPE name, starting `cpe:` (`cpe:2.3:o:siemens:…`).", isRequired: false),
        InventoryColumn(field: .purl, names: ["purl", "package url"],
                        meaning: "Package URL, starting `pkg:`.", isRequired: false),
    ]

    /// `documentedHeaders` as a Markdown table.
    public static var headersMarkdown: String {
        var lines = ["| field | accepted header names | holds |", "| --- | --- | --- |"]
        for column in documentedHeaders {
            let names = column.names.map { "`\($0)`" }.joined(separator: ", ")
            let field = column.isRequired ? "**\(column.field.rawValue)** (required)" : column.field.rawValue
            // A `|` inside a table cell, even in a code span, ends the cell unless escaped.
            let meaning = column.meaning.replacingOccurrences(of: "|", with: "\\|")
            lines.append("| \(field) | \(names) | \(meaning) |")
        }
        return lines.joined(separator: "\n")
    }

    /// The field a header name fills, or nil when Vigil does not read that column.
    public static func field(forHeader header: String) -> InventoryField? {
        fieldsByHeaderKey[headerKey(header)]
    }

    /// A header name reduced to what is compared: lower-case letters and digits.
    static func headerKey(_ header: String) -> String {
        String(String.UnicodeScalarView(header.lowercased().unicodeScalars.filter {
            $0.properties.isAlphabetic || $0.properties.numericType != nil
        }))
    }

    private static let fieldsByHeaderKey: [String: InventoryField] = {
        var result: [String: InventoryField] = [:]
        for column in documentedHeaders {
            for name in column.names { result[headerKey(name)] = column.field }
        }
        return result
    }()

    /// Reads CSV bytes (UTF-8, with or without a byte order mark) into asset drafts and every problem in the file.
    public static func read(_ bytes: [UInt8], limits: InventoryLimits = InventoryLimits()) -> InventoryReadResult {
        var session = CSVSession(bytes: bytes, limits: limits)
        return session.run()
    }
}

/// The state of reading one CSV file: the header's meaning, the problems so far, the assets so far.
private struct CSVSession {
    let bytes: [UInt8]
    let limits: InventoryLimits
    var problems: InventoryProblemList
    var warnings: [InventoryProblem] = []
    var assets: [AssetDraft] = []

    var headerNames: [String] = []
    var columnOfField: [InventoryField: Int] = [:]
    /// Columns with no header name, and whether a warning about data in them was already given.
    var unnamedColumns: [Int: Bool] = [:]
    var lineOfAssetID: [String: Int] = [:]
    /// Columns read, in file order, so a row's problems come out left to right.
    var readColumns: [(field: InventoryField, index: Int)] = []
    var firstNonUTF8Line: Int?
    var nonUTF8Values = 0
    var delimiter = UInt8(ascii: ",")

    init(bytes: [UInt8], limits: InventoryLimits) {
        self.bytes = bytes
        self.limits = limits
        problems = InventoryProblemList(limit: limits.maxListedProblems)
    }

    mutating func run() -> InventoryReadResult {
        var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var line = 1
        if let (declared, next) = CSVTokenizer.excelSeparatorLine(bytes, from: start) {
            delimiter = declared
            start = next
            line = 2
        } else {
            delimiter = CSVTokenizer.detectDelimiter(bytes, from: start)
        }
        var tokenizer = CSVTokenizer(bytes: bytes, position: start, line: line, delimiter: delimiter)
        var headerLine: Int?
        var rows = 0
        while let record = tokenizer.next() {
            if record.isBlank { continue }
            guard let header = headerLine else {
                headerLine = record.line
                readHeader(record)
                continue
            }
            rows += 1
            if rows > limits.maxAssets {
                problems.append(InventoryProblem(code: .tooManyAssets, line: record.line, message: "the file has more "
                    + "than \(InventoryReader.grouped(limits.maxAssets)) asset rows; split it into several files (by site, for "
                    + "example)"))
                break
            }
            readRow(record, headerLine: header)
        }
        if headerLine == nil {
            problems.append(InventoryProblem(code: .emptyFile, message: "the file is empty; it needs a header line "
                + "(at least Vendor and Product) and one line per asset"))
        } else if rows == 0 && problems.isEmpty {
            problems.append(InventoryProblem(code: .noAssets, line: headerLine, message: "the file has a header but "
                + "no asset rows; add one line per asset below the header"))
        }
        var all = problems.all
        if let first = firstNonUTF8Line {
            all.insert(InventoryProblem(code: .notUTF8, line: first, message: "the file is not UTF-8 text "
                + "(\(nonUTF8Values) value\(nonUTF8Values == 1 ? "" : "s") affected, the first on this line); save "
                + "it as UTF-8 (in Excel: \"CSV UTF-8 (comma delimited)\") and import it again"), at: 0)
        }
        return InventoryReadResult(assets: assets, problems: all, warnings: warnings, format: .csv)
    }

    // MARK: Header

    mutating func readHeader(_ record: CSVTokenizer.Record) {
        headerNames = record.fields.map { decode($0.bytes, line: $0.line).trimmed }
        for (index, raw) in record.fields.enumerated() {
            reportSyntax(of: raw, column: index)
        }
        if record.isUnterminated { return }
        for (index, name) in headerNames.enumerated() {
            if name.isEmpty {
                unnamedColumns[index] = false
                continue
            }
            guard let field = InventoryCSVReader.field(forHeader: name) else {
                warnings.append(InventoryProblem(code: .unknownColumn, line: record.line, field: name,
                    message: "Vigil does not read a column called \"\(name)\", so its values are not imported; "
                        + "rename it to one of the documented header names if it holds one of the asset fields"))
                continue
            }
            if let earlier = columnOfField[field] {
                problems.append(InventoryProblem(code: .duplicateColumn, line: record.line, field: name,
                    message: "columns \(earlier + 1) (\"\(headerNames[earlier])\") and \(index + 1) (\"\(name)\") "
                        + "both mean \(field.rawValue); remove or rename one of them"))
                continue
            }
            columnOfField[field] = index
            readColumns.append((field, index))
        }
        for column in InventoryCSVReader.documentedHeaders where column.isRequired && columnOfField[column.field] == nil {
            let names = column.names.prefix(3).map { "\"\($0)\"" }.joined(separator: ", ")
            problems.append(InventoryProblem(code: .missingColumn, line: record.line, message: "the header has no "
                + "\(column.field.rawValue) column; name one \(names) (the first non-empty line is read as the "
                + "header, and its delimiter was taken to be the \(delimiterName))"))
        }
    }

    // MARK: Rows

    mutating func readRow(_ record: CSVTokenizer.Record, headerLine: Int) {
        let before = problems.count
        for (index, raw) in record.fields.enumerated() {
            reportSyntax(of: raw, column: index)
        }
        if record.isUnterminated { return }
        let count = record.fields.count, expected = headerNames.count
        let extraAreEmpty = count > expected && record.fields[expected...].allSatisfy(\.isBlank)
        guard count == expected || extraAreEmpty else {
            problems.append(InventoryProblem(code: .fieldCount, line: record.line, message: "this row has \(count) "
                + "field\(count == 1 ? "" : "s") but the header (line \(headerLine)) has \(expected); put values that "
                + "contain a \(delimiterName) in double quotes, or add or remove \(delimiterName)s so the columns "
                + "line up"))
            return
        }
        var values: [InventoryField: String] = [:]
        var invalid: Set<InventoryField> = []
        for (field, index) in readColumns {
            guard let value = value(of: record.fields[index], column: index, field: field) else {
                invalid.insert(field)
                continue
            }
            if !value.isEmpty { values[field] = value }
        }
        for (index, warned) in unnamedColumns where !warned && !record.fields[index].isBlank {
            unnamedColumns[index] = true
            warnings.append(InventoryProblem(code: .unnamedColumn, line: record.line, field: "column \(index + 1)",
                message: "column \(index + 1) has values but no header name, so they are not imported; give the "
                    + "column a documented header name if it holds one of the asset fields"))
        }
        for field in [InventoryField.vendor, .product]
        where columnOfField[field] != nil && values[field] == nil && !invalid.contains(field) {
            problems.append(InventoryProblem(code: .missingValue, line: record.line, field: header(field),
                message: "the \(field.rawValue) is empty; every asset needs a vendor and a product to be matched "
                    + "against advisories"))
        }
        var criticality: AssetCriticality?
        if let text = values[.criticality] {
            criticality = AssetCriticality(rawValue: text.lowercased())
            if criticality == nil {
                problems.append(InventoryProblem(code: .badCriticality, line: line(of: .criticality, in: record),
                    field: header(.criticality), message: "\"\(text)\" is not a criticality; use low, medium, high "
                        + "or critical, or leave it empty (numbers are not accepted: some schemes count 1 as the "
                        + "highest, others as the lowest)"))
            }
        }
        if let cpe = values[.cpe], !cpe.lowercased().hasPrefix("cpe:") {
            problems.append(InventoryProblem(code: .badCPE, line: line(of: .cpe, in: record), field: header(.cpe),
                message: "\"\(cpe)\" is not a CPE name; a CPE starts with \"cpe:\" (cpe:2.3:h:vendor:product:…), "
                    + "leave the field empty if the asset has none"))
        }
        if let purl = values[.purl], !purl.lowercased().hasPrefix("pkg:") {
            problems.append(InventoryProblem(code: .badPURL, line: line(of: .purl, in: record), field: header(.purl),
                message: "\"\(purl)\" is not a package URL; a purl starts with \"pkg:\" (pkg:generic/vendor/name), "
                    + "leave the field empty if the asset has none"))
        }
        if let id = values[.assetID] {
            if let earlier = lineOfAssetID[id] {
                problems.append(InventoryProblem(code: .duplicateID, line: line(of: .assetID, in: record),
                    field: header(.assetID), message: "asset id \"\(id)\" is already used on line \(earlier); "
                        + "give every asset its own id, or leave the column empty"))
            } else {
                lineOfAssetID[id] = record.line
            }
        }
        guard problems.count == before, let vendor = values[.vendor], let product = values[.product] else { return }
        assets.append(AssetDraft(
            externalID: values[.assetID], vendor: vendor, product: product, version: values[.version],
            modelNumber: values[.modelNumber], serialNumber: values[.serialNumber], cpe: values[.cpe],
            purl: values[.purl], site: values[.site], area: values[.area], owner: values[.owner],
            criticality: criticality, tags: values[.tags].map(Self.splitTags) ?? []))
    }

    /// The checked, cleaned value of one field; nil when it has a problem (already reported).
    mutating func value(of raw: CSVTokenizer.Field, column: Int, field: InventoryField) -> String? {
        let text = decode(raw.bytes, line: raw.line)
        if let bad = text.unicodeScalars.first(where: Self.isForbiddenControl) {
            let hex = String(bad.value, radix: 16, uppercase: true)
            let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            problems.append(InventoryProblem(code: .controlCharacter, line: raw.line, field: headerNames[column],
                message: "the value contains the control character \(code), usually left over from a copy from "
                    + "another program; delete it and retype the value"))
            return nil
        }
        // Tags keep their line breaks: they separate tags, like `;`, `,` and `|`.
        let cleaned = field == .tags ? text.trimmed : Self.singleLine(text)
        let length = cleaned.unicodeScalars.count
        if length > limits.maxFieldLength {
            problems.append(InventoryProblem(code: .valueTooLong, line: raw.line, field: headerNames[column],
                message: "the value is \(InventoryReader.grouped(length)) characters long; values may have at most "
                    + "\(InventoryReader.grouped(limits.maxFieldLength)) (is a closing quote missing on an earlier field?)"))
            return nil
        }
        return cleaned
    }

    /// Unterminated quotes and text after a closing quote, which the tokenizer records on the field.
    mutating func reportSyntax(of raw: CSVTokenizer.Field, column: Int) {
        let name = column < headerNames.count && !headerNames[column].isEmpty ? headerNames[column] : nil
        switch raw.issue {
        case nil: break
        case .unterminatedQuote:
            problems.append(InventoryProblem(code: .unterminatedQuote, line: raw.line, field: name,
                message: "a quoted value starts here but its closing double quote is missing, so the rest of the "
                    + "file cannot be read; add the closing quote (a quote inside a quoted value is written twice: "
                    + "\"\")"))
        case .textAfterQuote(let line):
            problems.append(InventoryProblem(code: .textAfterQuote, line: line, field: name,
                message: "there is text after the closing double quote of a quoted value; write a quote inside a "
                    + "quoted value twice (\"12\"\" rack\"), or put the whole value in quotes"))
        }
    }

    mutating func decode(_ bytes: ArraySlice<UInt8>, line: Int) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        nonUTF8Values += 1
        if firstNonUTF8Line == nil { firstNonUTF8Line = line }
        return String(decoding: bytes, as: UTF8.self)
    }

    func header(_ field: InventoryField) -> String? { columnOfField[field].map { headerNames[$0] } }

    func line(of field: InventoryField, in record: CSVTokenizer.Record) -> Int {
        columnOfField[field].map { record.fields[$0].line } ?? record.line
    }

    var delimiterName: String {
        switch delimiter {
        case UInt8(ascii: ";"): "semicolon"
        case 0x09: "tab"
        default: "comma"
        }
    }

    /// C0 and C1 control characters other than tab and line breaks, and DEL.
    static func isForbiddenControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: false
        case 0x00...0x1F, 0x7F...0x9F: true
        default: false
        }
    }

    /// A value on one line: line breaks and tabs inside a quoted value become single spaces.
    static func singleLine(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else { return text.trimmed }
        var result = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar == "\n" || scalar == "\r" || scalar == "\t" || scalar == " " {
                pendingSpace = !result.isEmpty
            } else {
                if pendingSpace { result.append(" ") }
                pendingSpace = false
                result.append(scalar)
            }
        }
        return String(result).trimmed
    }

    /// Tags split on `;`, `,`, `|` and line breaks, trimmed, without empties or repeats.
    static func splitTags(_ text: String) -> [String] {
        var seen = Set<String>()
        return text.split(whereSeparator: { ";,|\n\r".contains($0) })
            .map { singleLine(String($0)) }
            .filter { !$0.isEmpty && seen.insert($0).inserted }
    }
}

/// Splits CSV bytes into records of raw fields, tracking the physical line each record and field starts on.
struct CSVTokenizer {
    enum Issue: Equatable {
        case unterminatedQuote
        /// Text between a closing quote and the next delimiter, on the given line.
        case textAfterQuote(line: Int)
    }

    struct Field {
        var bytes: ArraySlice<UInt8>
        var line: Int
        var issue: Issue?

        var isBlank: Bool { bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 } }
    }

    struct Record {
        var fields: [Field]
        var line: Int
        var isBlank: Bool { fields.allSatisfy(\.isBlank) && !isUnterminated }
        var isUnterminated: Bool { fields.last?.issue == .unterminatedQuote }
    }

    static let quote = UInt8(ascii: "\"")
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D

    let bytes: [UInt8]
    var position: Int
    var line: Int
    let delimiter: UInt8

    /// The next record, or nil at the end of the file. A record with an unterminated quote is the last one.
    mutating func next() -> Record? {
        guard position < bytes.count else { return nil }
        let recordLine = line
        var fields: [Field] = []
        while true {
            let field = nextField()
            fields.append(field)
            if field.issue == .unterminatedQuote {
                position = bytes.count
                return Record(fields: fields, line: recordLine)
            }
            guard position < bytes.count else { break }
            let byte = bytes[position]
            position += 1
            if byte == delimiter {
                continue
            }
            // A line break: CR LF, LF, or a lone CR (old Mac exports) each end one physical line.
            if byte == Self.cr, position < bytes.count, bytes[position] == Self.lf { position += 1 }
            line += 1
            break
        }
        return Record(fields: fields, line: recordLine)
    }

    /// One field, leaving `position` at the delimiter or line break after it (or the end).
    private mutating func nextField() -> Field {
        let fieldLine = line
        guard position < bytes.count, bytes[position] == Self.quote else {
            let start = position
            while position < bytes.count, !isFieldEnd(bytes[position]) { position += 1 }
            // A quote inside an unquoted value is kept as it is: `19" rack` is common in equipment lists.
            return Field(bytes: bytes[start..<position], line: fieldLine)
        }
        position += 1
        var content: [UInt8] = []
        var closed = false
        while position < bytes.count {
            let byte = bytes[position]
            if byte == Self.quote {
                if position + 1 < bytes.count, bytes[position + 1] == Self.quote {
                    content.append(Self.quote)
                    position += 2
                    continue
                }
                position += 1
                closed = true
                break
            }
            if byte == Self.lf || (byte == Self.cr && !(position + 1 < bytes.count && bytes[position + 1] == Self.lf)) {
                line += 1
            }
            content.append(byte)
            position += 1
        }
        guard closed else { return Field(bytes: content[...], line: fieldLine, issue: .unterminatedQuote) }
        var issue: Issue?
        if position < bytes.count, !isFieldEnd(bytes[position]) {
            issue = .textAfterQuote(line: line)
            while position < bytes.count, !isFieldEnd(bytes[position]) { position += 1 }
        }
        return Field(bytes: content[...], line: fieldLine, issue: issue)
    }

    private func isFieldEnd(_ byte: UInt8) -> Bool {
        byte == delimiter || byte == Self.lf || byte == Self.cr
    }

    /// Excel's `sep=;` first line, which declares the delimiter: the delimiter and where the header starts.
    static func excelSeparatorLine(_ bytes: [UInt8], from start: Int) -> (UInt8, Int)? {
        let prefix = Array("sep=".utf8)
        guard bytes.count >= start + 5,
              bytes[start..<start + 4].map({ $0 | 0x20 }) == prefix.map({ $0 | 0x20 }) else { return nil }
        let declared = bytes[start + 4]
        guard [UInt8(ascii: ","), UInt8(ascii: ";"), 0x09, UInt8(ascii: "|")].contains(declared) else { return nil }
        var next = start + 5
        guard next == bytes.count || bytes[next] == lf || bytes[next] == cr else { return nil }
        if next < bytes.count, bytes[next] == cr { next += 1 }
        if next < bytes.count, bytes[next] == lf { next += 1 }
        return (declared, next)
    }

    /// The most frequent of comma, semicolon and tab outside quotes on the first non-empty line; comma on a tie.
    static func detectDelimiter(_ bytes: [UInt8], from start: Int) -> UInt8 {
        var counts: [UInt8: Int] = [UInt8(ascii: ","): 0, UInt8(ascii: ";"): 0, 0x09: 0]
        var position = start
        var inQuotes = false
        var sawContent = false
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if byte == quote { inQuotes.toggle(); sawContent = true; continue }
            if inQuotes { continue }
            if byte == lf || byte == cr {
                if sawContent { break }
                continue
            }
            if counts[byte] != nil { counts[byte]! += 1 }
            if byte != 0x20 { sawContent = true }
        }
        var best = UInt8(ascii: ",")
        for candidate in [UInt8(ascii: ";"), 0x09] where counts[candidate]! > counts[best]! { best = candidate }
        return best
    }
}
