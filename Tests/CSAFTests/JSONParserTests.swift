import CSAF
import Foundation
import Testing
import VigilTestSupport

@Suite("Strict JSON parser")
struct JSONParserTests {
    static func syntaxError(_ bytes: [UInt8], maxDepth: Int = JSONParser.defaultMaxDepth) -> JSONSyntaxError? {
        do {
            _ = try JSONParser.parse(bytes, maxDepth: maxDepth)
            return nil
        } catch {
            return error
        }
    }

    static func syntaxError(_ text: String) -> JSONSyntaxError? { syntaxError(Array(text.utf8)) }

    @Test("a truncated real document is rejected at the end of file, with the line and column there")
    func truncated() throws {
        let bytes = try SharedData.bytes("providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json")
        for cut in [bytes.count / 2, bytes.count - 2, 10] {
            let prefix = Array(bytes[..<cut])
            let error = try #require(Self.syntaxError(prefix), "cut at \(cut)")
            #expect(error.message.contains("truncated"), "\(error.message)")
            let lines = prefix.split(separator: 0x0A, omittingEmptySubsequences: false)
            if error.offset == cut {
                #expect(error.line == lines.count)
                #expect(error.column == String(decoding: lines.last!, as: UTF8.self).unicodeScalars.count + 1)
            } else {
                // Inside a string the error points at its opening quote, which is on or before the last line.
                #expect(error.line <= lines.count)
                #expect(bytes[error.offset] == 0x22)
            }
        }
        let empty = try #require(Self.syntaxError(""))
        #expect(empty.message == "the file is empty")
    }

    @Test("data after the JSON value is rejected with the line and column where it starts")
    func trailingGarbage() throws {
        let error = try #require(Self.syntaxError("{\"a\": 1}\n  x"))
        #expect(error.message == "unexpected data after the end of the JSON value")
        #expect(error.line == 2)
        #expect(error.column == 3)
        #expect(error.description == "invalid JSON at line 2, column 3: unexpected data after the end of the JSON value")

        #expect(Self.syntaxError("[1] [2]") != nil)
        #expect(Self.syntaxError("{} {}") != nil)
        #expect(Self.syntaxError("{\"a\":1}\u{0}") != nil)
        // Whitespace after the value is fine.
        #expect(Self.syntaxError("{\"a\": 1}\n\r\n\t ") == nil)
    }

    @Test("invalid UTF-8 in strings and member names is rejected", arguments: [
        [0xC3, 0x28],              // a two-byte lead followed by ASCII
        [0xC0, 0xAF],              // an overlong encoding of '/'
        [0xED, 0xA0, 0x80],        // an encoded UTF-16 surrogate
        [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
        [0xFF],
        [0xE2, 0x82],              // a truncated sequence
    ] as [[UInt8]])
    func invalidUTF8(_ sequence: [UInt8]) throws {
        let inValue = Array("{\"a\": \"x".utf8) + sequence + Array("y\"}".utf8)
        let error = try #require(Self.syntaxError(inValue))
        #expect(error.message == "the string is not valid UTF-8")
        #expect(error.line == 1)
        #expect(error.column == 7)

        let inKey = Array("{\"".utf8) + sequence + Array("\": 1}".utf8)
        #expect(Self.syntaxError(inKey)?.message == "the string is not valid UTF-8")

        // The same bytes after an escape take the slow path through the parser; still rejected.
        let afterEscape = Array("[\"\\n".utf8) + sequence + Array("\"]".utf8)
        #expect(Self.syntaxError(afterEscape)?.message == "the string is not valid UTF-8")
    }

    @Test("valid multi-byte UTF-8 is accepted unchanged")
    func validUTF8() throws {
        let value = try JSONParser.parse(Array("[\"Größe € 😀 中\"]".utf8))
        #expect(value == .array([.string("Größe € 😀 中")]))
    }

    @Test("raw control characters inside strings are rejected, escaped ones accepted", arguments: [0x00, 0x09, 0x0A, 0x0D, 0x1F] as [UInt8])
    func controlCharacters(_ byte: UInt8) throws {
        let raw = Array("{\"a\": \"x".utf8) + [byte] + Array("\"}".utf8)
        let error = try #require(Self.syntaxError(raw))
        #expect(error.message.hasPrefix("control character 0x"))
        #expect(error.message.contains(String(format: "0x%02X", byte)))
        #expect(error.offset == 8)

        let escapedAfter = Array("[\"\\t".utf8) + [byte] + Array("\"]".utf8)
        #expect(Self.syntaxError(escapedAfter)?.message.hasPrefix("control character") == true)

        let escaped = String(format: "[\"\\u%04x\"]", byte)
        #expect(try JSONParser.parse(Array(escaped.utf8)) == .array([.string(String(Unicode.Scalar(byte)))]))
    }

    @Test("lone and malformed UTF-16 surrogates in \\u escapes are rejected", arguments: [
        #"["\ud800"]"#, #"["\udc00"]"#, #"["x\ud83dy"]"#, #"["\ud83d\u0041"]"#, #"["\ude00\ud83d"]"#, #"["\ud83d"#,
    ])
    func loneSurrogates(_ text: String) throws {
        let error = try #require(Self.syntaxError(text))
        #expect(error.message.contains("surrogate") || error.message.contains("truncated"), "\(error.message)")
        if text.hasSuffix("]") { #expect(error.message.contains("surrogate"), "\(error.message)") }
    }

    @Test("a surrogate pair decodes to one scalar, as Foundation decodes it")
    func surrogatePair() throws {
        let text = #"["\ud83d\ude00 \uD834\uDD1E"]"#
        let value = try JSONParser.parse(Array(text.utf8))
        #expect(value == .array([.string("😀 𝄞")]))
        let foundation = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String]
        #expect(foundation == ["😀 𝄞"])
    }

    @Test("10,000 levels of nesting are rejected with a clear reason, not a crash", arguments: ["[", "{\"a\":"])
    func deepNesting(_ opener: String) throws {
        let closer = opener == "[" ? "]" : "}"
        let text = String(repeating: opener, count: 10_000) + "1" + String(repeating: closer, count: 10_000)
        let error = try #require(Self.syntaxError(text))
        #expect(error.message == "nesting deeper than 256 levels")
        #expect(error.line == 1)

        // The same through the document reader, as an import meets it.
        do {
            _ = try CSAFDocumentReader.read(Array(text.utf8))
            Issue.record("a 10,000-deep document was accepted")
        } catch {
            #expect(error.code == .syntax)
            #expect(error.message.contains("nesting deeper than 256 levels"))
        }
    }

    @Test("nesting up to the limit is accepted; one more level is not")
    func nestingLimit() throws {
        let atLimit = String(repeating: "[", count: 256) + String(repeating: "]", count: 256)
        #expect(Self.syntaxError(atLimit) == nil)
        let over = String(repeating: "[", count: 257) + String(repeating: "]", count: 257)
        #expect(Self.syntaxError(over)?.message == "nesting deeper than 256 levels")
        #expect(Self.syntaxError(Array(over.utf8), maxDepth: 300) == nil)
    }

    @Test("every escape decodes to the character it stands for")
    func escapes() throws {
        let text = #"{"s": "q\" b\\ s\/ \b\f\n\r\t \u00e9\u20AC \u0000 plain"}"#
        let value = try JSONParser.parse(Array(text.utf8))
        let expected = "q\" b\\ s/ \u{08}\u{0C}\n\r\t é€ \u{0} plain"
        #expect(value["s"]?.stringValue == expected)
        let foundation = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String]
        #expect(foundation?["s"] == expected)

        #expect(Self.syntaxError(#"["\x"]"#)?.message == "invalid escape \\x")
        #expect(Self.syntaxError(#"["\u12G4"]"#)?.message == "invalid hexadecimal digit in a \\u escape")
    }

    @Test("numbers follow RFC 8259")
    func numbers() throws {
        #expect(try JSONParser.parse(Array("[0, -0.5, 9.8, 1e3, 2.5E-1, -12]".utf8))
                == .array([.number(0), .number(-0.5), .number(9.8), .number(1000), .number(0.25), .number(-12)]))
        for bad in ["[01]", "[1.]", "[.5]", "[+1]", "[1e]", "[-]", "[NaN]", "[Infinity]"] {
            #expect(Self.syntaxError(bad) != nil, "\(bad)")
        }
    }

    @Test("structural errors say what was expected, where", arguments: [
        (#"{"a" 1}"#, "expected ':' after member name \"a\"", 6),
        (#"{"a": 1,}"#, "expected a member name in double quotes, found '}'", 9),
        (#"[1 2]"#, "expected ',' or ']' in an array, found '2'", 4),
        (#"{a: 1}"#, "expected a member name in double quotes, found 'a'", 2),
        (#"[tru]"#, "unexpected character ']'", 5),
    ])
    func structure(_ text: String, _ message: String, _ column: Int) throws {
        let error = try #require(Self.syntaxError(text))
        #expect(error.message == message)
        #expect(error.line == 1)
        #expect(error.column == column)
    }

    @Test("a UTF-8 byte order mark is skipped")
    func byteOrderMark() throws {
        #expect(try JSONParser.parse([0xEF, 0xBB, 0xBF] + Array("[1]".utf8)) == .array([.number(1)]))
    }

    /// Real documents with escapes (`\u00a0`, `\u201c`, `\t`, `\/`) and a few without, decoded by Foundation's
    /// JSONDecoder and by Vigil's reader: the two must give the same model.
    @Test("real documents decode to the same CSAFDocument with Foundation's JSONDecoder and with Vigil's reader")
    func matchesFoundation() throws {
        var paths: [String] = [
            "providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json",
            "providers/cisa/csaf_files/OT/white/2017/icsa-17-010-01a.json",
            "providers/cisa/csaf_files/IT/white/2024/va-24-201-01.json",
            "providers/gocsaf-testdata/csaf-documents/valid/avendor-advisory-0004.json",
        ]
        for folder in ["providers/ni", "providers/stackable"] {
            paths += try SharedData.jsonFiles(under: folder).filter { !$0.hasSuffix("provider-metadata.json") }.prefix(10).map { "\(folder)/\($0)" }
        }
        // Every CISA document holding a \u or \t escape.
        var escaped = 0
        for path in try SharedData.jsonFiles(under: "providers/cisa/csaf_files") where path.contains("/white/20") {
            let bytes = try SharedData.bytes("providers/cisa/csaf_files/\(path)")
            if Self.containsEscape(bytes) {
                paths.append("providers/cisa/csaf_files/\(path)")
                escaped += 1
            }
        }
        #expect(escaped >= 25)

        for path in paths {
            let bytes = try SharedData.bytes(path)
            let foundation = try JSONDecoder().decode(CSAFDocument.self, from: Data(bytes))
            guard case .csaf(let parsed) = try CSAFDocumentReader.read(bytes) else {
                Issue.record("\(path) was not read as CSAF")
                continue
            }
            #expect(parsed.document == foundation, "\(path)")
        }
    }

    static func containsEscape(_ bytes: [UInt8]) -> Bool {
        var i = 0
        while i + 1 < bytes.count {
            if bytes[i] == 0x5C {
                if bytes[i + 1] == 0x75 || bytes[i + 1] == 0x74 { return true }
                i += 2
            } else {
                i += 1
            }
        }
        return false
    }
}
