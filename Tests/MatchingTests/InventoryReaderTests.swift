import CSAF
import Foundation
import Matching
import Testing

/// Reading asset inventories: CSV exports from spreadsheets and asset tools, and CycloneDX JSON bills of materials.
struct InventoryReaderTests {
    // MARK: CSV: reading what is right

    @Test func plantInventoryReadsEveryColumnOfEveryRow() throws {
        let result = InventoryReader.read(try Self.fixture("plant-inventory.csv"), fileName: "plant-inventory.csv")
        #expect(result.format == .csv)
        #expect(result.problems == [])
        #expect(result.warnings == [])
        #expect(result.isClean)
        try #require(result.assets.count == 7)
        #expect(result.assets[0] == AssetDraft(
            externalID: "PLC-101", vendor: "Siemens", product: "SIMATIC S7-1500 CPU 1516-3 PN/DP", version: "V2.9.2",
            modelNumber: "6ES7516-3AN02-0AB0", serialNumber: "S C-X4U12345",
            cpe: #"cpe:2.3:h:siemens:simatic_s7-1500_cpu_1516-3_pn\/dp:-:*:*:*:*:*:*:*"#, site: "Hamburg",
            area: "Line 3", owner: "Meyer, Jana", criticality: .critical, tags: ["plc", "line-3", "safety"]))
        #expect(result.assets[1].vendor == "Schneider Electric")
        #expect(result.assets[1].tags == ["plc", "line-4"])
        #expect(result.assets[1].cpe == nil)
        #expect(result.assets[2].criticality == .high)
        #expect(result.assets[2].tags == ["plc", "packaging"])
        #expect(result.assets[3].serialNumber == nil)
        // A quoted owner and tags spanning three physical lines.
        #expect(result.assets[4].externalID == "HMI-301")
        #expect(result.assets[4].owner == "Meyer, Jana Schmidt, Paul")
        #expect(result.assets[4].tags == ["hmi", "line-3"])
        #expect(result.assets[5].owner == #"OT "Security" Team"#)
        #expect(result.assets[6].product == "RTU500 series, CMU 560CMU05")
        #expect(result.assets[6].criticality == nil)
        #expect(result.assets.map(\.externalID) == ["PLC-101", "PLC-102", "PLC-103", "SW-201", "HMI-301", "GW-401",
                                                    "RTU-501"])
    }

    @Test(arguments: InventoryCSVReader.documentedHeaders)
    func everyDocumentedHeaderNameFillsItsField(column: InventoryColumn) throws {
        let (input, expected) = Self.sample(for: column.field)
        for name in column.names {
            let variants = [name, name.uppercased(), name.lowercased(), " \(name) ",
                            name.replacingOccurrences(of: " ", with: "_"),
                            name.replacingOccurrences(of: " ", with: "-")]
            for header in variants {
                #expect(InventoryCSVReader.field(forHeader: header) == column.field, "header \(header)")
                let csv = switch column.field {
                case .vendor: "\(header),Product\n\(input),S7-1500\n"
                case .product: "Vendor,\(header)\nSiemens,\(input)\n"
                default: "Vendor,Product,\(header)\nSiemens,S7-1500,\(input)\n"
                }
                let result = InventoryReader.read(Array(csv.utf8))
                #expect(result.problems == [], "header \(header)")
                #expect(result.warnings == [], "header \(header)")
                #expect(result.assets.first.flatMap { Self.value(of: column.field, in: $0) } == expected,
                        "header \(header)")
            }
        }
    }

    @Test func noHeaderNameMeansTwoFieldsAndTheTableIsDocumented() {
        var fieldOfName: [String: InventoryField] = [:]
        for column in InventoryCSVReader.documentedHeaders {
            for name in column.names {
                let key = name.lowercased().filter { $0.isLetter || $0.isNumber }
                #expect(fieldOfName[key] == nil, "\(name) is listed for \(column.field) and \(String(describing: fieldOfName[key]))")
                fieldOfName[key] = column.field
            }
        }
        #expect(Set(InventoryCSVReader.documentedHeaders.map(\.field)) == Set(InventoryField.allCases))
        let markdown = InventoryCSVReader.headersMarkdown
        for column in InventoryCSVReader.documentedHeaders {
            for name in column.names { #expect(markdown.contains("`\(name)`")) }
        }
        // Every table row has exactly the three cells of the header row.
        for row in markdown.split(separator: "\n") {
            #expect(row.replacingOccurrences(of: "\\|", with: "").filter { $0 == "|" }.count == 4, "\(row)")
        }
        #expect(InventoryCSVReader.documentedHeaders.filter(\.isRequired).map(\.field) == [.vendor, .product])
        #expect(InventoryCSVReader.field(forHeader: "Serial No.") == .serialNumber)
        #expect(InventoryCSVReader.field(forHeader: "S/N") == .serialNumber)
        #expect(InventoryCSVReader.field(forHeader: "Comment") == nil)
    }

    @Test func quotedFieldsKeepDelimitersQuotesAndLineBreaks() {
        let csv = """
        Vendor,Product,Version,Owner,Tags
        "Siemens","SIMATIC S7-1500, CPU 1516","V2.9.2","Jana ""JM"" Meyer","a,b"
        Siemens,"SCALANCE
        X208",V4.1,"",""
        Moxa,19" rack server,1.0,,

        """
        let result = InventoryReader.read(Array(csv.utf8))
        #expect(result.problems == [])
        #expect(result.assets == [
            AssetDraft(vendor: "Siemens", product: "SIMATIC S7-1500, CPU 1516", version: "V2.9.2",
                       owner: #"Jana "JM" Meyer"#, tags: ["a", "b"]),
            AssetDraft(vendor: "Siemens", product: "SCALANCE X208", version: "V4.1"),
            AssetDraft(vendor: "Moxa", product: #"19" rack server"#, version: "1.0"),
        ])
    }

    @Test func crlfLoneCRAndLFFilesReadTheSameWithTheSameLineNumbers() {
        let lines = ["Vendor,Product,Criticality", "Siemens,\"S7-1500\nCPU\",high", "Moxa,NPort,urgent", ""]
        let lf = InventoryReader.read(Array(lines.joined(separator: "\n").utf8))
        let crlf = InventoryReader.read(Array(lines.joined(separator: "\r\n").utf8))
        let cr = InventoryReader.read(Array(lines.joined(separator: "\r").utf8))
        #expect(lf.assets == [AssetDraft(vendor: "Siemens", product: "S7-1500 CPU", criticality: .high)])
        #expect(crlf.assets == lf.assets)
        #expect(cr.assets == lf.assets)
        #expect(lf.problems.map(\.line) == [4])
        #expect(crlf.problems == lf.problems)
        #expect(cr.problems == lf.problems)
        // A CR LF inside a quoted value is one line break, not two.
        let mixed = InventoryReader.read(Array("Vendor,Product\r\nSiemens,\"a\r\nb\"\r\n,x\r\n".utf8))
        #expect(mixed.problems.map(\.line) == [4])
    }

    @Test func byteOrderMarkIsNotPartOfTheFirstHeader() {
        let result = InventoryReader.read([0xEF, 0xBB, 0xBF] + Array("Vendor,Product\nSiemens,S7-1500\n".utf8))
        #expect(result.problems == [])
        #expect(result.warnings == [])
        #expect(result.assets == [AssetDraft(vendor: "Siemens", product: "S7-1500")])
    }

    @Test func semicolonExportFromGermanExcelReads() throws {
        let result = InventoryReader.read(try Self.fixture("semicolon.csv"))
        #expect(result.problems == [])
        #expect(result.warnings == [])
        try #require(result.assets.count == 3)
        #expect(result.assets[0] == AssetDraft(
            vendor: "Siemens", product: "SIMATIC S7-1200 CPU 1214C DC/DC/DC", version: "V4.5.2",
            modelNumber: "6ES7214-1AG40-0XB0", serialNumber: "S V-L9K12345", site: "Werk Köln", area: "Halle 2",
            owner: "Müller, Klaus", criticality: .high, tags: ["SPS", "Halle 2"]))
        // A decimal comma is a value, not a delimiter, in a semicolon file.
        #expect(result.assets[1].version == "2024,0")
        #expect(result.assets[2].site == "Werk Düsseldorf; Süd")
        #expect(result.assets[2].criticality == .critical)
        #expect(result.assets[2].tags == ["SPS", "Leitstand"])
    }

    @Test func tabDelimitedAndExcelSeparatorLineAreRead() {
        let tab = InventoryReader.read(Array("Vendor\tProduct\tVersion\nSiemens\tS7-1500, CPU 1516\tV2.9\n".utf8))
        #expect(tab.problems == [])
        #expect(tab.assets == [AssetDraft(vendor: "Siemens", product: "S7-1500, CPU 1516", version: "V2.9")])
        // `sep=;` overrides detection (the header alone has more commas than semicolons) and counts as line 1.
        let header = "Vendor;Product;Notes, remarks, comments, and, more;Criticality"
        let declared = InventoryReader.read(Array("sep=;\n\(header)\nSiemens;S7;;bad\n".utf8))
        #expect(declared.problems.map { Found($0.code, $0.line, $0.field) } == [Found(.badCriticality, 3, "Criticality")])
        #expect(declared.warnings.map(\.field) == ["Notes, remarks, comments, and, more"])
        // Without the `sep=` line the same header is read as comma-separated, and no column makes sense.
        let detected = InventoryReader.read(Array("\(header)\nSiemens;S7;;bad\n".utf8))
        #expect(detected.problems.map(\.code).prefix(2) == [.missingColumn, .missingColumn])
    }

    @Test func blankLinesAndRowsOfOnlyDelimitersAreSkipped() {
        let result = InventoryReader.read(Array("\n\nVendor,Product\n\n,\n  ,  \nSiemens,S7\n\n".utf8))
        #expect(result.problems == [])
        #expect(result.assets == [AssetDraft(vendor: "Siemens", product: "S7")])
        let badAfterBlanks = InventoryReader.read(Array("\n\nVendor,Product\n\n,\nSiemens,\n".utf8))
        #expect(badAfterBlanks.problems.map(\.line) == [6])
    }

    // MARK: CSV: problems, all of them, with their lines

    @Test func malformedFileReportsEveryProblemAtItsPhysicalLine() throws {
        let result = InventoryReader.read(try Self.fixture("malformed.csv"))
        let found = result.problems.map { Found($0.code, $0.line, $0.field) }
        #expect(found == [
            Found(.missingValue, 5, "Vendor"),
            Found(.badCriticality, 6, "Criticality"),
            Found(.fieldCount, 7, nil),
            Found(.badCPE, 8, "CPE"),
            Found(.badPURL, 9, "PURL"),
            Found(.textAfterQuote, 10, "Product"),
            Found(.duplicateID, 11, "Asset ID"),
            Found(.missingValue, 12, "Product"),
            Found(.unterminatedQuote, 13, "Version"),
        ])
        #expect(!result.isClean)
        // The rows that were fine are there for a preview; the caller imports nothing because of the problems.
        #expect(result.assets.map(\.externalID) == ["A-1", "A-2"])
        #expect(result.assets[1].product == "SIMATIC ET 200SP IM 155-6 PN HF")
        let messages = result.problems.map(\.message)
        #expect(messages[1].contains("\"urgent\"") && messages[1].contains("low, medium, high or critical"))
        #expect(messages[2].contains("10 fields") && messages[2].contains("has 9"))
        #expect(messages[6].contains("line 3"))
        #expect(result.problems[0].description.hasPrefix("line 5, Vendor: the vendor is empty"))
    }

    @Test func fieldProblemsGiveTheLineTheFieldStartsOn() {
        let csv = "Vendor,Product,Owner,Version\n"                  // line 1
            + "Siemens,\"S7-1500\nCPU 1516\",\"Jana\nMeyer\",V2\n"   // lines 2-4
            + "Siemens,S7-1200,\"Paul\n\nSchmidt\",\u{07}V4\n"      // lines 5-7, the bell on line 7
            + "Siemens,\"S7\n300\",x,\(String(repeating: "9", count: 1_001))\n" // lines 8-9, the long value on 9
            + "Moxa,NPort,ok,1\u{7F}\n"                             // line 10
        let result = InventoryReader.read(Array(csv.utf8))
        #expect(result.problems.map { Found($0.code, $0.line, $0.field) } == [
            Found(.controlCharacter, 7, "Version"),
            Found(.valueTooLong, 9, "Version"),
            Found(.controlCharacter, 10, "Version"),
        ])
        #expect(result.problems[0].message.contains("U+0007"))
        #expect(result.problems[1].message.contains("1,001 characters"))
        #expect(result.problems[2].message.contains("U+007F"))
        #expect(result.assets.map(\.product) == ["S7-1500 CPU 1516"])
        // Exactly 1,000 characters is allowed.
        let atLimit = InventoryReader.read(Array("Vendor,Product\nSiemens,\(String(repeating: "x", count: 1_000))\n".utf8))
        #expect(atLimit.isClean)
    }

    @Test func criticalityAcceptsTheFourNamesInAnyCaseAndNothingElse() {
        let csv = "Vendor,Product,Criticality\nA,P,low\nA,P,MEDIUM\nA,P,High\nA,P, critical \nA,P,\nA,P,1\nA,P,4\nA,P,severe\n"
        let result = InventoryReader.read(Array(csv.utf8))
        #expect(result.assets.map(\.criticality) == [.low, .medium, .high, .critical, nil])
        #expect(result.problems.map { Found($0.code, $0.line, $0.field) } == [
            Found(.badCriticality, 7, "Criticality"), Found(.badCriticality, 8, "Criticality"),
            Found(.badCriticality, 9, "Criticality"),
        ])
    }

    @Test func cpeAndPurlMustStartWithTheirScheme() {
        let csv = """
        Vendor,Product,CPE,PURL
        Siemens,S7,cpe:2.3:h:siemens:s7:-:*:*:*:*:*:*:*,pkg:generic/siemens/s7
        Siemens,S7,CPE:/h:siemens:s7,PKG:generic/siemens/s7
        Siemens,S7,2.3:h:siemens:s7,generic/siemens/s7
        """
        let result = InventoryReader.read(Array(csv.utf8))
        #expect(result.assets.count == 2)
        #expect(result.problems.map { Found($0.code, $0.line, $0.field) } == [
            Found(.badCPE, 4, "CPE"), Found(.badPURL, 4, "PURL"),
        ])
    }

    @Test func headerProblemsAreReportedTogetherWithRowProblems() {
        let csv = "Maker,Device Name,Firmware,Software Version,Comments\nSiemens,S7,V1,V2,spare\nSiemens,,V1,V2,\n"
        let result = InventoryReader.read(Array(csv.utf8))
        #expect(result.problems.map { Found($0.code, $0.line, $0.field) } == [
            Found(.duplicateColumn, 1, "Software Version"),
            Found(.missingValue, 3, "Device Name"),
        ])
        #expect(result.problems[0].message.contains("columns 3 (\"Firmware\") and 4 (\"Software Version\")"))
        // The unknown column is not imported and not silent: a warning names it.
        #expect(result.warnings.map { Found($0.code, $0.line, $0.field) } == [Found(.unknownColumn, 1, "Comments")])
        #expect(result.assets == [AssetDraft(vendor: "Siemens", product: "S7", version: "V1")])

        let noVendor = InventoryReader.read(Array("Product,Version\nS7,V1\n".utf8))
        #expect(noVendor.problems.map { Found($0.code, $0.line, $0.field) } == [Found(.missingColumn, 1, nil)])
        #expect(noVendor.problems[0].message.contains("no vendor column"))
        #expect(noVendor.assets == [])
        let neither = InventoryReader.read(Array("Asset;Type\nPLC-1;S7\n".utf8))
        #expect(neither.problems.map(\.code) == [.missingColumn, .missingColumn])
        #expect(neither.problems[0].message.contains("semicolon"))
    }

    @Test func unnamedColumnWarnsOnlyWhenItHoldsValues() {
        let trailing = InventoryReader.read(Array("Vendor,Product,,\nSiemens,S7,,\n".utf8))
        #expect(trailing.isClean)
        #expect(trailing.warnings == [])
        let withData = InventoryReader.read(Array("Vendor,Product,\nSiemens,S7,\nMoxa,NPort,spare\nA,B,again\n".utf8))
        #expect(withData.isClean)
        #expect(withData.warnings.map { Found($0.code, $0.line, $0.field) } == [Found(.unnamedColumn, 3, "column 3")])
        // Rows may end with extra empty fields (trailing delimiters); more fields with values are a problem.
        let extra = InventoryReader.read(Array("Vendor,Product\nSiemens,S7,,\nSiemens,S7,x\nSiemens\n".utf8))
        #expect(extra.problems.map { Found($0.code, $0.line, $0.field) } == [
            Found(.fieldCount, 3, nil), Found(.fieldCount, 4, nil),
        ])
    }

    @Test func emptyFilesAndHeaderOnlyFilesAreProblems() {
        #expect(InventoryReader.read([]).problems.map(\.code) == [.emptyFile])
        #expect(InventoryReader.read(Array("\n \r\n".utf8)).problems.map(\.code) == [.emptyFile])
        #expect(InventoryReader.read([0xEF, 0xBB, 0xBF]).problems.map(\.code) == [.emptyFile])
        let headerOnly = InventoryReader.read(Array("Vendor,Product\n".utf8))
        #expect(headerOnly.problems.map { Found($0.code, $0.line, $0.field) } == [Found(.noAssets, 1, nil)])
    }

    @Test func limitsRefuseHugeFilesAndTooManyRows() {
        var huge = Array("Vendor,Product\n".utf8)
        huge += [UInt8](repeating: UInt8(ascii: "a"), count: 50 * 1024 * 1024 + 1 - huge.count)
        let tooLarge = InventoryReader.read(huge)
        #expect(tooLarge.problems.map(\.code) == [.tooLarge])
        #expect(tooLarge.problems[0].message.contains("52,428,801 bytes, more than the 50 MB limit"))
        var atLimit = huge
        atLimit.removeLast()
        #expect(InventoryReader.read(atLimit).problems.map(\.code) != [.tooLarge])

        let rows = "Vendor,Product\nA,1\nA,2\nA,3\nA,4\nA,5\n"
        let limited = InventoryReader.read(Array(rows.utf8), limits: InventoryLimits(maxAssets: 3))
        #expect(limited.problems.map { Found($0.code, $0.line, $0.field) } == [Found(.tooManyAssets, 5, nil)])
        #expect(InventoryReader.read(Array(rows.utf8), limits: InventoryLimits(maxAssets: 5)).isClean)
        #expect(InventoryLimits() == InventoryLimits(maxBytes: 52_428_800, maxAssets: 1_000_000, maxFieldLength: 1_000,
                                                     maxListedProblems: 1_000))
    }

    @Test func manyProblemsAreListedUpToTheLimitAndCounted() {
        let csv = "Vendor,Product\n" + String(repeating: ",x\n", count: 5)
        let result = InventoryReader.read(Array(csv.utf8), limits: InventoryLimits(maxListedProblems: 2))
        #expect(result.problems.map(\.code) == [.missingValue, .missingValue, .moreProblems])
        #expect(result.problems.map(\.line) == [2, 3, nil])
        #expect(result.problems[2].message.hasPrefix("3 more problems"))
    }

    @Test func textThatIsNotUTF8IsOneProblemNamingTheFirstLine() {
        // Windows-1252 "Müller" and "Köln", as an old Excel "CSV (comma delimited)" export writes them.
        let bytes = Array("Vendor,Product,Owner\nSiemens,S7,ok\nSiemens,S7,M".utf8) + [0xFC] + Array("ller\nA,B,K".utf8)
            + [0xF6] + Array("ln\n".utf8)
        let result = InventoryReader.read(bytes)
        #expect(result.problems.map { Found($0.code, $0.line, $0.field) } == [Found(.notUTF8, 3, nil)])
        #expect(result.problems[0].message.contains("2 values"))
        #expect(result.problems[0].message.contains("CSV UTF-8"))
    }

    // MARK: Format detection

    @Test func formatIsDetectedFromTheContent() throws {
        #expect(InventoryReader.read(Array("Vendor,Product\nA,B\n".utf8), fileName: "x.txt").format == .csv)
        #expect(InventoryReader.read(try Self.fixture("cyclonedx-1.5.json"), fileName: "inventory.csv").format
                == .cycloneDX)
        let named = InventoryReader.read(Array("Vendor,Product\nA,B\n".utf8), fileName: "Inventory.JSON")
        #expect(named.format == .cycloneDX)
        #expect(named.problems.map { Found($0.code, $0.line, $0.field) } == [Found(.notJSON, 1, nil)])
    }

    @Test func otherFormatsAreRefusedWithWhatToDoInstead() {
        let xlsx = InventoryReader.read([0x50, 0x4B, 0x03, 0x04, 0x14, 0x00], fileName: "assets.xlsx")
        #expect(xlsx.problems.map(\.code) == [.unsupportedFormat])
        #expect(xlsx.problems[0].message.contains("CSV UTF-8"))
        let xml = InventoryReader.read(Array("<?xml version=\"1.0\"?><bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\"/>".utf8))
        #expect(xml.problems.map(\.code) == [.unsupportedFormat])
        #expect(xml.problems[0].message.contains("CycloneDX JSON"))
        let utf16 = InventoryReader.read([0xFF, 0xFE] + Array("V\0e\0".utf8))
        #expect(utf16.problems.map(\.code) == [.notUTF8])
    }

    @Test func jsonThatIsNotCycloneDXIsRefusedSayingWhatItIs() {
        let cases: [(String, String)] = [
            (#"{"document": {"category": "csaf_security_advisory"}, "vulnerabilities": []}"#, "CSAF advisory"),
            (#"{"spdxVersion": "SPDX-2.3", "packages": []}"#, "SPDX"),
            (#"[{"vendor": "Siemens"}]"#, "an array"),
            (#"{"assets": []}"#, "no \"bomFormat\""),
            (#"{"bomFormat": "SPDX", "specVersion": "1.5"}"#, "bomFormat is \"SPDX\""),
            (#"{"bomFormat": 1}"#, "bomFormat is a number"),
        ]
        for (json, phrase) in cases {
            let result = InventoryReader.read(Array(json.utf8))
            #expect(result.format == .cycloneDX)
            #expect(result.problems.map(\.code) == [.notCycloneDX], "\(json)")
            #expect(result.problems.first?.message.contains(phrase) == true, "\(json)")
            #expect(result.assets == [])
        }
    }

    // MARK: CycloneDX

    @Test func cycloneDX14ReadsApplicationsOperatingSystemsAndLibraries() throws {
        let result = InventoryReader.read(try Self.fixture("cyclonedx-1.4.json"))
        #expect(result.format == .cycloneDX)
        #expect(result.problems == [])
        #expect(result.assets == [
            AssetDraft(externalID: "tia-portal", vendor: "Siemens", product: "TIA Portal", version: "V18 Update 3",
                       cpe: "cpe:2.3:a:siemens:totally_integrated_automation_portal:18:update_3:*:*:*:*:*:*"),
            AssetDraft(externalID: "os", vendor: "Microsoft Corporation", product: "Windows 10 IoT Enterprise LTSC",
                       version: "21H2"),
            AssetDraft(externalID: "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1",
                       vendor: "org.apache.logging.log4j", product: "log4j-core", version: "2.17.1",
                       purl: "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1"),
        ])
        // What is not imported is said: the application the BOM describes, and a file.
        #expect(result.warnings.map { Found($0.code, $0.line, $0.field) } == [
            Found(.componentNotImported, nil, "metadata.component"),
            Found(.componentNotImported, nil, "components[3]"),
        ])
        #expect(result.warnings[0].message.contains("Engineering workstation ENG-WS-01"))
        #expect(result.warnings[1].message.contains("\"file\""))
    }

    @Test func cycloneDX15ReadsNestedComponentsAndTheirProperties() throws {
        let result = InventoryReader.read(try Self.fixture("cyclonedx-1.5.json"))
        #expect(result.problems == [])
        #expect(result.warnings == [])
        #expect(result.assets == [
            AssetDraft(externalID: "plc-line4", vendor: "Schneider Electric", product: "Modicon M580 BMEP584040",
                       version: "SV3.20", modelNumber: "BMEP584040", serialNumber: "8B2201234567"),
            // Firmware inside a device without its own supplier is the device maker's.
            AssetDraft(externalID: "plc-line4-fw", vendor: "Schneider Electric", product: "Modicon M580 firmware",
                       version: "SV3.20"),
            AssetDraft(externalID: "plc-line4-noe", vendor: "Schneider Electric",
                       product: "Modicon M580 Ethernet module BMENOC0301", version: "V2.16", modelNumber: "BMENOC0301"),
            // The purl's namespace comes before the enclosing component's vendor.
            AssetDraft(externalID: "noe-openssl", vendor: "openssl", product: "openssl", version: "1.0.2u",
                       purl: "pkg:generic/openssl/openssl@1.0.2u"),
            AssetDraft(externalID: "gw-utilities", vendor: "Moxa", product: "MGate 5105-MB-EIP", version: "4.3",
                       cpe: "cpe:2.3:h:moxa:mgate_5105-mb-eip:-:*:*:*:*:*:*:*"),
        ])
    }

    @Test func cycloneDX16ReadsDevicesManufacturersAndTheDescribedDevice() throws {
        let result = InventoryReader.read(try Self.fixture("cyclonedx-1.6-devices.json"))
        #expect(result.problems == [])
        #expect(result.warnings == [])
        #expect(result.assets == [
            AssetDraft(externalID: "cpu-1516", vendor: "Siemens", product: "SIMATIC S7-1500 CPU 1516-3 PN/DP",
                       version: "V2.9.2", modelNumber: "6ES7516-3AN02-0AB0", serialNumber: "S C-X4U12345",
                       tags: ["plc", "line-3"]),
            AssetDraft(externalID: "cpu-1516-fw", vendor: "Siemens", product: "SIMATIC S7-1500 CPU firmware",
                       version: "V2.9.2"),
            AssetDraft(externalID: "clx-5580", vendor: "Rockwell Automation", product: "ControlLogix 5580",
                       version: "33.011", modelNumber: "1756-L85E", serialNumber: "D0A1B2C3",
                       tags: ["plc", "packaging"]),
            AssetDraft(externalID: "fl-switch", vendor: "Phoenix Contact", product: "FL SWITCH 2208", version: "3.40",
                       modelNumber: "1044024"),
            AssetDraft(externalID: "rsp35", vendor: "Hirschmann", product: "RSP35", version: "09.0.04"),
        ])
    }

    @Test(arguments: ["1.4", "1.5", "1.6"])
    func everySupportedSpecVersionIsRead(version: String) {
        let result = InventoryReader.read(Self.bom(specVersion: "\"\(version)\"", components: Self.oneDevice))
        #expect(result.problems == [])
        #expect(result.assets == [AssetDraft(externalID: "d1", vendor: "Siemens", product: "S7-1500", version: "V3.1")])
    }

    @Test(arguments: [("\"1.3\"", "1.3 is not supported"), ("\"1.7\"", "1.7 is not supported"),
                      ("\"2.0\"", "2.0 is not supported"), ("1.5", "a string"), (nil, "no specVersion")])
    func unsupportedOrMissingSpecVersionIsAProblem(specVersion: String?, phrase: String) {
        let result = InventoryReader.read(Self.bom(specVersion: specVersion, components: Self.oneDevice))
        #expect(result.problems.map(\.field) == ["specVersion"])
        #expect(result.problems.map(\.code) == [specVersion == "1.5" ? .wrongType : .unsupportedSpecVersion])
        #expect(result.problems.first?.message.contains(phrase) == true)
        #expect(result.problems.first?.message.contains("1.4, 1.5, 1.6") == true || specVersion == "1.5")
    }

    @Test func invalidJSONGivesTheLineAndColumn() {
        let json = "{\n  \"bomFormat\": \"CycloneDX\",\n  \"specVersion\": \"1.5\",\n  \"components\": [ }\n}\n"
        let result = InventoryReader.read(Array(json.utf8))
        #expect(result.format == .cycloneDX)
        #expect(result.problems.map { Found($0.code, $0.line, $0.field) } == [Found(.notJSON, 4, nil)])
        #expect(result.problems[0].message.contains("line 4, column 19"))
    }

    @Test func wrongTypesAreReportedAtTheirPaths() {
        let components = """
        [
          {"type": "device", "name": 7, "supplier": {"name": "Siemens"}},
          {"type": "device", "name": "S7", "version": 2.9, "supplier": "Siemens"},
          {"type": "device", "name": "S7", "supplier": {"name": "Siemens"}, "properties": {"serial": "1"},
           "tags": "plc", "components": {"type": "firmware"}},
          "Siemens S7-1200",
          {"type": "device", "name": "S7", "manufacturer": {"name": "Siemens"},
           "properties": [{"name": "serial", "value": 12345}, "x"], "authors": [{"name": 1}], "tags": ["a", 2]}
        ]
        """
        let result = InventoryReader.read(Self.bom(specVersion: "\"1.6\"", components: components))
        #expect(result.problems.map { Found($0.code, $0.line, $0.field) } == [
            Found(.wrongType, nil, "components[0].name"),
            Found(.wrongType, nil, "components[1].version"),
            Found(.wrongType, nil, "components[1].supplier"),
            Found(.wrongType, nil, "components[2].properties"),
            Found(.wrongType, nil, "components[2].tags"),
            Found(.wrongType, nil, "components[2].components"),
            Found(.wrongType, nil, "components[3]"),
            Found(.wrongType, nil, "components[4].authors[0].name"),
            Found(.wrongType, nil, "components[4].properties[0].value"),
            Found(.wrongType, nil, "components[4].properties[1]"),
            Found(.wrongType, nil, "components[4].tags[1]"),
        ])
        #expect(result.problems[1].message == "should be a string but is a number; check the file against the "
            + "CycloneDX JSON schema")
        #expect(result.problems[1].description.hasPrefix("components[1].version: should be a string"))
        #expect(result.assets == [])

        let topLevel = InventoryReader.read(Array(#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "metadata": [], "components": {}}"#.utf8))
        #expect(topLevel.problems.map { Found($0.code, $0.line, $0.field) } == [
            Found(.wrongType, nil, "metadata"), Found(.wrongType, nil, "components"),
        ])
    }

    @Test func componentsWithoutNameTypeOrVendorAreEachReportedByPath() {
        let components = """
        [
          {"type": "device", "bom-ref": "ok", "supplier": {"name": "Siemens"}, "name": "S7-1500",
           "components": [
             {"type": "firmware", "bom-ref": "fw", "name": "S7-1500 firmware"},
             {"type": "device", "bom-ref": "nameless", "supplier": {"name": "Siemens"}},
             {"type": "device", "bom-ref": "blank", "supplier": {"name": "Siemens"}, "name": "  "}
           ]},
          {"type": "device", "bom-ref": "orphan", "name": "Mystery RTU",
           "components": [{"type": "firmware", "bom-ref": "orphan-fw", "name": "Mystery firmware"}]},
          {"bom-ref": "untyped", "name": "Something", "supplier": {"name": "Moxa"}},
          {"type": "library", "name": "zlib", "version": "1.3"}
        ]
        """
        let result = InventoryReader.read(Self.bom(specVersion: "\"1.5\"", components: components))
        #expect(result.problems.map { Found($0.code, $0.line, $0.field) } == [
            Found(.missingName, nil, "components[0].components[1].name"),
            Found(.missingName, nil, "components[0].components[2].name"),
            Found(.missingVendor, nil, "components[1]"),
            Found(.missingVendor, nil, "components[1].components[0]"),
            Found(.missingType, nil, "components[2].type"),
            Found(.missingVendor, nil, "components[3]"),
        ])
        #expect(result.problems[2].message.contains("\"Mystery RTU\" (bom-ref \"orphan\")"))
        #expect(result.problems[2].message.contains("supplier.name"))
        #expect(result.problems[3].message.contains("bom-ref \"orphan-fw\""))
        #expect(result.problems[1].message.contains("bom-ref \"blank\""))
        #expect(result.assets.map(\.externalID) == ["ok", "fw"])
    }

    @Test func duplicateReferencesBadIdentifiersAndBadTextAreProblems() {
        let long = String(repeating: "x", count: 1_001)
        let components = """
        [
          {"type": "device", "bom-ref": "plc", "supplier": {"name": "Siemens"}, "name": "S7-1500"},
          {"type": "device", "bom-ref": "plc", "supplier": {"name": "Siemens"}, "name": "S7-1200"},
          {"type": "device", "supplier": {"name": "Siemens"}, "name": "S7", "cpe": "siemens:s7", "purl": "generic/s7"},
          {"type": "device", "supplier": {"name": "Siemens\\u0007"}, "name": "S7", "version": "\(long)"}
        ]
        """
        let result = InventoryReader.read(Self.bom(specVersion: "\"1.6\"", components: components))
        #expect(result.problems.map { Found($0.code, $0.line, $0.field) } == [
            Found(.duplicateID, nil, "components[1].bom-ref"),
            Found(.badCPE, nil, "components[2].cpe"),
            Found(.badPURL, nil, "components[2].purl"),
            Found(.valueTooLong, nil, "components[3].version"),
            Found(.controlCharacter, nil, "components[3].supplier.name"),
        ])
        #expect(result.problems[0].message.contains("components[0]"))
        #expect(result.assets.map(\.product) == ["S7-1500"])
    }

    @Test func groupJoinsTheNameUnlessItIsTheVendorOrAlreadyInTheName() {
        let components = """
        [
          {"type": "device", "supplier": {"name": "Siemens AG"}, "group": "SIMATIC", "name": "S7-1500"},
          {"type": "device", "supplier": {"name": "Siemens AG"}, "group": "SIMATIC", "name": "SIMATIC S7-1200"},
          {"type": "device", "supplier": {"name": "Siemens AG"}, "group": "siemens", "name": "SCALANCE X208"},
          {"type": "library", "group": "org.eclipse.paho", "name": "mqtt-client", "publisher": "Eclipse Foundation"}
        ]
        """
        let result = InventoryReader.read(Self.bom(specVersion: "\"1.5\"", components: components))
        #expect(result.problems == [])
        #expect(result.assets.map(\.product) == ["SIMATIC/S7-1500", "SIMATIC S7-1200", "SCALANCE X208",
                                                 "org.eclipse.paho/mqtt-client"])
    }

    @Test func describedComponentTakesTheVendorOfTheBOMMetadata() {
        let json = """
        {"bomFormat": "CycloneDX", "specVersion": "1.5",
         "metadata": {"manufacture": {"name": "Phoenix Contact"},
                      "component": {"type": "device", "name": "AXC F 2152", "version": "2024.0"}}}
        """
        let result = InventoryReader.read(Array(json.utf8))
        #expect(result.problems == [])
        #expect(result.assets == [AssetDraft(vendor: "Phoenix Contact", product: "AXC F 2152", version: "2024.0")])
    }

    @Test func billOfMaterialsWithoutComponentsIsAProblem() {
        let result = InventoryReader.read(Array(#"{"bomFormat": "CycloneDX", "specVersion": "1.6"}"#.utf8))
        #expect(result.problems.map { Found($0.code, $0.line, $0.field) } == [Found(.noAssets, nil, "components")])
        let unnamed = #"{"type": "device", "supplier": {"name": "Siemens"}, "name": "S7"}"#
        let tooMany = InventoryReader.read(Self.bom(specVersion: "\"1.6\"", components: "[\(unnamed), \(unnamed), \(unnamed)]"),
                                           limits: InventoryLimits(maxAssets: 2))
        #expect(tooMany.problems.map { Found($0.code, $0.line, $0.field) } == [Found(.tooManyAssets, nil, "components[2]")])
    }

    // MARK: Helpers

    /// A problem's code, line and field, for comparing whole lists at once.
    struct Found: Equatable, CustomStringConvertible {
        var code: InventoryProblem.Code
        var line: Int?
        var field: String?
        init(_ code: InventoryProblem.Code, _ line: Int?, _ field: String?) {
            self.code = code
            self.line = line
            self.field = field
        }
        var description: String { "\(code)@\(line.map(String.init) ?? "-"):\(field ?? "-")" }
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func fixture(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: fixtures.appendingPathComponent(name)))
    }

    static let device = #"{"type": "device", "bom-ref": "d1", "supplier": {"name": "Siemens"}, "name": "S7-1500", "version": "V3.1"}"#
    static let oneDevice = "[\(device)]"

    static func bom(specVersion: String?, components: String) -> [UInt8] {
        let version = specVersion.map { "\"specVersion\": \($0), " } ?? ""
        return Array("{\"bomFormat\": \"CycloneDX\", \(version)\"version\": 1, \"components\": \(components)}".utf8)
    }

    static func sample(for field: InventoryField) -> (input: String, expected: String) {
        switch field {
        case .criticality: ("High", "high")
        case .tags: ("plc;line-3", "plc|line-3")
        case .cpe: ("cpe:2.3:h:siemens:s7-1500:-:*:*:*:*:*:*:*", "cpe:2.3:h:siemens:s7-1500:-:*:*:*:*:*:*:*")
        case .purl: ("pkg:generic/siemens/s7-1500", "pkg:generic/siemens/s7-1500")
        default: ("value of \(field.rawValue)", "value of \(field.rawValue)")
        }
    }

    static func value(of field: InventoryField, in asset: AssetDraft) -> String? {
        switch field {
        case .assetID: asset.externalID
        case .vendor: asset.vendor
        case .product: asset.product
        case .version: asset.version
        case .modelNumber: asset.modelNumber
        case .serialNumber: asset.serialNumber
        case .site: asset.site
        case .area: asset.area
        case .owner: asset.owner
        case .criticality: asset.criticality?.rawValue
        case .tags: asset.tags.joined(separator: "|")
        case .cpe: asset.cpe
        case .purl: asset.purl
        }
    }
}
