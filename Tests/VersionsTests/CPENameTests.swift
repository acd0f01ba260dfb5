import Foundation
import Testing
import Versions
import VigilTestSupport

/// CPE 2.3 names: the CSAF schema's CPE pattern, NISTIR 7695's binding examples, NISTIR 7696's matching rules and
/// every CPE in the NI advisories.
@Suite struct CPENameTests {
    // MARK: the CSAF schema's pattern

    /// The `cpe` pattern of the CSAF 2.0 schema, the one `test/cpe/test-regex.js` checks names against.
    static func csafPattern() throws -> NSRegularExpression {
        let data = try Data(contentsOf: try SharedData.url("oasis-csaf-2.0/json_schema/csaf_json_schema.json"))
        guard let schema = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let defs = schema["$defs"] as? [String: Any],
              let fullProductName = defs["full_product_name_t"] as? [String: Any],
              let properties = fullProductName["properties"] as? [String: Any],
              let helper = properties["product_identification_helper"] as? [String: Any],
              let helperProperties = helper["properties"] as? [String: Any],
              let cpe = helperProperties["cpe"] as? [String: Any],
              let pattern = cpe["pattern"] as? String else {
            throw TestSetupError("the CSAF schema has no product_identification_helper.cpe pattern")
        }
        return try NSRegularExpression(pattern: pattern)
    }

    static func csafPatternAccepts(_ regex: NSRegularExpression, _ text: String) -> Bool {
        regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// Names the CSAF pattern accepts and NISTIR 7695 calls well-formed: the kinds the NVD dictionary that
    /// `run_tests.sh` downloads holds (escaped punctuation, NA, wildcards at the ends, language tags, CPE 2.2 URIs).
    static let validNames = [
        "cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*",
        "cpe:2.3:a:microsoft:internet_explorer:8.*:sp?:*:*:*:*:*:*",
        "cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*",
        "cpe:2.3:a:hp:openview_network_manager:7.51:*:*:*:*:linux:*:*",
        "cpe:2.3:a:foo\\\\bar:big\\$money_2010:*:*:*:*:special:ipod_touch:80gb:*",
        "cpe:2.3:a:\\@ctivepdf:server:3.4.1:*:*:*:*:*:*:*",
        "cpe:2.3:a:avast:antivirus:1.0:*:*:en-us:*:android:*:*",
        "cpe:2.3:o:linux:linux_kernel:2.6.0:*:*:*:*:*:*:*",
        "cpe:2.3:h:siemens:simatic_s7-1500:-:*:*:*:*:*:*:*",
        "cpe:2.3:a:ni:labview:24.*:*:*:*:*:*:*:*",
        "cpe:2.3:a:vendor:product\\:name:1.0:*:*:*:*:*:*:*",
        "cpe:2.3:a:ibm:websphere_application_server:*:*:*:*:*:*:*:*",
        "cpe:2.3:a:cisco:ios:12.2\\(33\\)sxi:*:*:*:*:*:*:*",
        "cpe:2.3:a:*:*:*:*:*:*:*:*:*:*",
        "cpe:2.3:*:*:*:*:*:*:*:*:*:*:*",
        "cpe:2.3:a:??soft:product:*:*:*:*:*:*:*:*",
        "cpe:2.3:a:micro*:product:*:*:*:*:*:*:*:*",
        "cpe:2.3:a:vendor:product:1.0:*:*:fr:*:*:*:*",
        "cpe:2.3:a:vendor:product:1.0:*:*:es-419:*:*:*:*",
        "cpe:/a:microsoft:internet_explorer:8.0.6001:beta",
        "cpe:/a:hp:insight_diagnostics:7.4.0.1570::~~online~win2003~x64~",
        "cpe:/a:foo%5cbar:big%24money_manager_2010:::~~special~ipod_touch~80gb~",
        "cpe:/o:microsoft:windows_xp::sp2:pro",
        "cpe:/a:foo~bar:big%7emoney_2010",
        "cpe:/h:cisco:router:-",
        "cpe:/",
        "cpe:/a",
        "cpe:/A:Microsoft:Internet_Explorer:8.0",
    ]

    /// Names both the CSAF pattern and NISTIR 7695 reject.
    static let invalidNames = [
        "cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*",       // ten attributes
        "cpe:2.3:x:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*",     // part x
        "cpe:2.3:a:foo:bar:12.*.1234:*:*:*:*:*:*:*",                          // embedded *
        "cpe:2.3:a:foo:bar:12.?.1234:*:*:*:*:*:*:*",                          // embedded ?
        "cpe:2.3:a:foo bar:product:*:*:*:*:*:*:*:*",                          // space
        "cpe:2.3:a:foo$bar:product:*:*:*:*:*:*:*:*",                          // unquoted $
        "cpe:2.3:a:ni:vision_builder_(vbai):*:*:*:*:*:*:*:*",                 // unquoted ( and )
        "cpe:2.3:a:vendor::1.0:*:*:*:*:*:*:*",                                // empty product
        "cpe:2.3:a:vendor:product:1.0:*:*:english:*:*:*:*",                   // not a language tag
        "cpe:2.3:a:vendor:product:1.0:*:*:e:*:*:*:*",
        "cpe:2.3:a:vendor:product:1.0:*:*:en-u:*:*:*:*",
        "cpe:2.3:a:*?:product:*:*:*:*:*:*:*:*",                               // wildcards only
        "cpe:2.3:a:**vendor:product:*:*:*:*:*:*:*:*",                         // two leading *
        "cpe:2.2:a:vendor:product:1.0:*:*:*:*:*:*:*",
        "cpe:a:vendor:product",
        "vendor:product:1.0",
        "",
    ]

    /// Names the CSAF 2.0 pattern lets through but NISTIR 7695 rejects. The pattern is `^(formatted string)|(URI)$`,
    /// so its first alternative is anchored only at the start and accepts any text after eleven good attributes;
    /// for URIs it checks only the characters.
    static let namesStricterThanThePattern = [
        "cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*:*",   // twelve attributes
        "cpe:2.3:a:vendor:product:1.0:*:*:*:*:*:*:* trailing",
        "cpe:/a:foo%5cbar:big%24money_2010%07:::~~special~ipod_touch~80gb~",   // %07 is not a CPE character
        "cpe:/a:foo:bar:12.%02.1234",                                         // embedded wildcard
        "cpe:/a:foo:bar:1.0:%zz",                                             // not hex
        "cpe:/a:foo:bar:1.0::~~online~win2003",                               // packs three attributes, not five
        "cpe:/a:foo:bar:1.0:::english",                                       // not a language tag
    ]

    @Test func parserAndCSAFPatternAgreeOnValidAndInvalidNames() throws {
        let regex = try Self.csafPattern()
        for text in Self.validNames {
            #expect(Self.csafPatternAccepts(regex, text), "the CSAF pattern should accept \(text)")
            #expect(throws: Never.self, "\(text) should parse") { try CPEName(parsing: text) }
        }
        for text in Self.invalidNames {
            #expect(!Self.csafPatternAccepts(regex, text), "the CSAF pattern should reject \(text)")
            #expect(throws: CPEError.self, "\(text) should not parse") { try CPEName(parsing: text) }
        }
        for text in Self.namesStricterThanThePattern {
            #expect(Self.csafPatternAccepts(regex, text), "the CSAF pattern lets \(text) through")
            #expect(throws: CPEError.self, "\(text) should not parse") { try CPEName(parsing: text) }
        }
    }

    @Test func everyFormattedStringItWritesMatchesTheCSAFPattern() throws {
        let regex = try Self.csafPattern()
        for text in Self.validNames {
            let name = try CPEName(parsing: text)
            #expect(Self.csafPatternAccepts(regex, name.formattedString), "\(text) binds to \(name.formattedString)")
            #expect(Self.csafPatternAccepts(regex, name.uri), "\(text) binds to \(name.uri)")
            #expect(try CPEName(parsing: name.formattedString) == name, "formatted string round trip of \(text)")
            #expect(try CPEName(parsing: name.uri) == name, "URI round trip of \(text)")
        }
    }

    // MARK: NISTIR 7695 examples

    @Test func unbindsFormattedStringsAsNISTIR7695Examples() throws {
        let ie = try CPEName(parsing: "cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*")
        #expect(ie == (try CPEName(part: .value("a"), vendor: .value("microsoft"), product: .value("internet_explorer"),
                                    version: .value("8.0.6001"), update: .value("beta"))))

        let wild = try CPEName(parsing: "cpe:2.3:a:microsoft:internet_explorer:8.*:sp?:*:*:*:*:*:*")
        #expect(wild.version == .value("8.*"))
        #expect(wild.version.hasWildcards)
        #expect(wild.update == .value("sp?"))

        let hp = try CPEName(parsing: "cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*")
        #expect(hp.update == .notApplicable)
        #expect(hp.edition == .any)
        #expect(hp.swEdition == .value("online"))
        #expect(hp.targetSoftware == .value("win2003"))
        #expect(hp.targetHardware == .value("x64"))
        #expect(hp.other == .any)

        let quoted = try CPEName(parsing: "cpe:2.3:a:foo\\\\bar:big\\$money_2010:*:*:*:*:special:ipod_touch:80gb:*")
        #expect(quoted.vendor == .value("foo\\\\bar"), "a literal backslash stays quoted in .value")
        #expect(quoted.product == .value("big$money_2010"))

        let literalWildcards = try CPEName(parsing: "cpe:2.3:a:foo:bar\\*:8.\\?:*:*:*:*:*:*:*")
        #expect(literalWildcards.product == .value("bar\\*"))
        #expect(!literalWildcards.product.hasWildcards)
        #expect(literalWildcards.version == .value("8.\\?"))

        #expect(try CPEName(parsing: "cpe:2.3:a:Microsoft:Internet_Explorer:8.0:*:*:*:*:*:*:*").vendor == .value("microsoft"),
                "values are lowercased")
    }

    @Test func bindsToURIsAsNISTIR7695Examples() throws {
        let pairs = [
            ("cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*", "cpe:/a:microsoft:internet_explorer:8.0.6001:beta"),
            ("cpe:2.3:a:microsoft:internet_explorer:8.*:sp?:*:*:*:*:*:*", "cpe:/a:microsoft:internet_explorer:8.%02:sp%01"),
            ("cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*",
             "cpe:/a:hp:insight_diagnostics:7.4.0.1570:-:~~online~win2003~x64~"),
            ("cpe:2.3:a:hp:openview_network_manager:7.51:*:*:*:*:linux:*:*", "cpe:/a:hp:openview_network_manager:7.51::~~~linux~~"),
            ("cpe:2.3:a:foo\\\\bar:big\\$money_manager_2010:*:*:*:*:special:ipod_touch:80gb:*",
             "cpe:/a:foo%5cbar:big%24money_manager_2010:::~~special~ipod_touch~80gb~"),
            ("cpe:2.3:a:microsoft:internet_explorer:8.\\*:sp\\?:*:*:*:*:*:*", "cpe:/a:microsoft:internet_explorer:8.%2a:sp%3f"),
            ("cpe:2.3:o:microsoft:windows_xp:*:sp2:pro:*:*:*:*:*", "cpe:/o:microsoft:windows_xp::sp2:pro"),
            ("cpe:2.3:a:avast:antivirus:1.0:*:*:en-us:*:*:*:*", "cpe:/a:avast:antivirus:1.0:::en-us"),
            ("cpe:2.3:*:*:*:*:*:*:*:*:*:*:*", "cpe:/"),
        ]
        for (formatted, uri) in pairs {
            let fromFormatted = try CPEName(parsing: formatted)
            let fromURI = try CPEName(parsing: uri)
            #expect(fromFormatted.uri == uri)
            #expect(fromURI.formattedString == formatted)
            #expect(fromFormatted == fromURI, "\(formatted) and \(uri) are the same name")
        }
    }

    @Test func unbindsURIsAsNISTIR7695Examples() throws {
        let tilde = try CPEName(parsing: "cpe:/a:foo~bar:big%7emoney_2010")
        #expect(tilde.vendor == .value("foo~bar"))
        #expect(tilde.product == .value("big~money_2010"))
        #expect(tilde.formattedString == "cpe:2.3:a:foo\\~bar:big\\~money_2010:*:*:*:*:*:*:*:*")

        let packedNA = try CPEName(parsing: "cpe:/a:hp:openview_network_manager:7.51:-:~~~linux~~")
        #expect(packedNA.update == .notApplicable)
        #expect(packedNA.targetSoftware == .value("linux"))
        #expect(packedNA.edition == .any)

        let shortURI = try CPEName(parsing: "cpe:/a:microsoft")
        #expect(shortURI.product == .any)
        #expect(shortURI.language == .any)
    }

    @Test func errorsNameTheAttribute() {
        let cases: [(String, String)] = [
            ("cpe:2.3:a:foo:bar:12.*.1234:*:*:*:*:*:*:*", "version"),
            ("cpe:2.3:x:foo:bar:1:*:*:*:*:*:*:*", "part"),
            ("cpe:2.3:a:foo:bar:1:*:*:english:*:*:*:*", "language"),
            ("cpe:/a:foo:bar:1::~a~b", "edition"),
            ("cpe:/a:foo%zz:bar", "vendor"),
            ("cpe:2.3:a:foo:bar", "name"),
        ]
        for (text, attribute) in cases {
            do {
                _ = try CPEName(parsing: text)
                Issue.record("\(text) parsed")
            } catch {
                #expect(error.attribute == attribute, "\(text): \(error)")
            }
        }
    }

    @Test func lenientParsingQuotesPunctuationVendorsLeaveUnquoted() throws {
        let text = "cpe:2.3:a:ni:vision_builder_(vbai):*:*:*:*:*:*:*:*"
        #expect(throws: CPEError.self) { try CPEName(parsing: text) }
        let name = try CPEName(parsing: text, mode: .lenient)
        #expect(name.product == .value("vision_builder_(vbai)"))
        #expect(name.formattedString == "cpe:2.3:a:ni:vision_builder_\\(vbai\\):*:*:*:*:*:*:*:*")
        #expect(name.uri == "cpe:/a:ni:vision_builder_%28vbai%29")
        #expect(throws: CPEError.self, "wildcards inside a value stay errors") {
            try CPEName(parsing: "cpe:2.3:a:ni:a*b:*:*:*:*:*:*:*:*", mode: .lenient)
        }
    }

    @Test func memberwiseInitialiserChecksValues() throws {
        #expect(throws: CPEError.self) { try CPEName(part: .value("x")) }
        #expect(throws: CPEError.self) { try CPEName(part: .value("a"), version: .value("1.*.2")) }
        #expect(throws: CPEError.self) { try CPEName(part: .value("a"), vendor: .value("*?")) }
        let name = try CPEName(part: .value("A"), vendor: .value("Big$Money"), product: .value("a-b"))
        #expect(name.vendor == .value("big$money"))
        #expect(name.formattedString == "cpe:2.3:a:big\\$money:a-b:*:*:*:*:*:*:*:*")
        let hyphen = try CPEName(part: .value("a"), vendor: .value("v"), product: .value("-"))
        #expect(hyphen.product == .value("-"))
        #expect(try CPEName(parsing: hyphen.formattedString) == hyphen, "a value that is just a hyphen is not NA")
        #expect(try CPEName(parsing: hyphen.uri) == hyphen)
    }

    // MARK: NISTIR 7696 matching

    /// NISTIR 7696 Table 6-2: the relation of each kind of source value to each kind of target value.
    @Test func attributeComparisonFollowsNISTIR7696Table() {
        let i = CPEAttributeValue.value("i"), k = CPEAttributeValue.value("k")
        let wild = CPEAttributeValue.value("m*"), wild2 = CPEAttributeValue.value("n?")
        let rows: [(CPEAttributeValue, CPEAttributeValue, CPEAttributeRelation)] = [
            (.any, .any, .equal), (.any, .notApplicable, .superset), (.any, i, .superset), (.any, wild, .undefined),
            (.notApplicable, .any, .subset), (.notApplicable, .notApplicable, .equal), (.notApplicable, i, .disjoint),
            (.notApplicable, wild, .undefined),
            (i, .any, .subset), (i, .notApplicable, .disjoint), (i, i, .equal), (i, k, .disjoint), (i, wild, .undefined),
            (wild, .value("mango"), .superset), (wild, .value("kiwi"), .disjoint), (wild, .any, .subset),
            (wild, .notApplicable, .disjoint), (wild, wild2, .undefined),
        ]
        for (number, row) in rows.enumerated() {
            #expect(row.0.relation(to: row.1) == row.2, "row \(number + 1): \(row.0) vs \(row.1)")
        }
    }

    @Test func wildcardsMatchAsNISTIR7696Specifies() {
        let rows: [(String, String, CPEAttributeRelation)] = [
            ("8.*", "8.0.6001", .superset),
            ("8.*", "9.0", .disjoint),
            ("*soft", "microsoft", .superset),
            ("micro*", "microsoft", .superset),
            ("*cros*", "microsoft", .superset),
            ("sp?", "sp1", .superset),
            ("sp?", "sp10", .disjoint),
            ("sp??", "sp10", .superset),
            ("?icrosoft", "microsoft", .superset),
            ("??crosoft", "microsoft", .superset),
            ("?crosoft", "microsoft", .disjoint),
            ("microsoft", "micro", .disjoint),
            ("bar\\*", "bar\\*", .equal),
            ("bar", "bar*", .undefined),
            ("bar\\*", "barx", .disjoint),
            ("24.*", "24.3.5", .superset),
            ("24.*", "23.3.3", .disjoint),
        ]
        for (source, target, relation) in rows {
            #expect(CPEAttributeValue.value(source).relation(to: .value(target)) == relation, "\(source) vs \(target)")
        }
    }

    @Test func nameComparisonFollowsNISTIR7696() throws {
        let source = try CPEName(parsing: "cpe:2.3:a:microsoft:internet_explorer:8.*:sp?:*:*:*:*:*:*")
        let target = try CPEName(parsing: "cpe:2.3:a:microsoft:internet_explorer:8.0.6001:sp1:*:*:*:*:*:*")
        #expect(CPEName.compare(source, target) == [.equal, .equal, .equal, .superset, .superset, .equal, .equal, .equal, .equal, .equal, .equal])
        #expect(CPEName.isSuperset(source, target))
        #expect(!CPEName.isSubset(source, target))
        #expect(CPEName.isSubset(target, source) == false, "the target would be the source here, and a source with wildcards as target is undefined")
        #expect(!CPEName.isDisjoint(source, target))
        #expect(!CPEName.isEqual(source, target))
        #expect(CPEName.isEqual(target, target))

        let other = try CPEName(parsing: "cpe:2.3:a:microsoft:internet_explorer:7.0:sp1:*:*:*:*:*:*")
        #expect(CPEName.isDisjoint(source, other))

        let anyVersion = try CPEName(parsing: "cpe:/a:microsoft:internet_explorer")
        #expect(CPEName.isSubset(target, anyVersion))
        #expect(CPEName.isSuperset(anyVersion, target))
    }

    @Test func advisoryNameMatchesAssetNames() throws {
        let advisory = try CPEName(parsing: "cpe:2.3:a:ni:labview:24.*:*:*:*:*:*:*:*")
        #expect(advisory.matches(try CPEName(parsing: "cpe:2.3:a:ni:labview:24.3.5:*:*:*:*:*:*:*")))
        #expect(advisory.matches(try CPEName(parsing: "cpe:2.3:a:ni:labview:24.1.1:-:*:*:*:windows:x64:*")))
        #expect(!advisory.matches(try CPEName(parsing: "cpe:2.3:a:ni:labview:23.3.3:*:*:*:*:*:*:*")))
        #expect(!advisory.matches(try CPEName(parsing: "cpe:2.3:a:ni:veristand:24.5.0:*:*:*:*:*:*:*")))
        #expect(!advisory.matches(try CPEName(parsing: "cpe:2.3:a:ni:labview:*:*:*:*:*:*:*:*")),
                "an asset of any version is a superset of the advisory's, not covered by it")
        let everyVersion = try CPEName(parsing: "cpe:2.3:a:digilent:dasylab:*:*:*:*:*:*:*:*")
        #expect(everyVersion.matches(try CPEName(parsing: "cpe:/a:digilent:dasylab:2022")))
    }

    // MARK: NI advisories

    /// Every `product_identification_helper.cpe` under a JSON value.
    static func cpeValues(in value: Any, into found: inout [String]) {
        if let object = value as? [String: Any] {
            if let helper = object["product_identification_helper"] as? [String: Any], let cpe = helper["cpe"] as? String {
                found.append(cpe)
            }
            for child in object.values { cpeValues(in: child, into: &found) }
        } else if let array = value as? [Any] {
            for child in array { cpeValues(in: child, into: &found) }
        }
    }

    @Test func everyCPEInTheNIAdvisoriesParsesAndRoundTrips() throws {
        let folder = "providers/ni"
        var found: [(file: String, cpe: String)] = []
        var documents = 0
        for file in try SharedData.jsonFiles(under: folder) {
            let data = try Data(contentsOf: try SharedData.url(folder + "/" + file))
            guard let document = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let productTree = document["product_tree"] else { continue }
            documents += 1
            var values: [String] = []
            Self.cpeValues(in: productTree, into: &values)
            found += values.map { (file, $0) }
        }
        #expect(documents > 0)
        #expect(found.count > 100, "the NI advisories name products by CPE")
        let regex = try Self.csafPattern()
        var failures: [String] = []
        var needingQuotes: Set<String> = []
        for (file, text) in found {
            do {
                // NI publishes one product with unquoted parentheses (failing the CSAF schema's own pattern); every other
                // value is a strict formatted string.
                let name = try CPEName(parsing: text, mode: .lenient)
                if (try? CPEName(parsing: text)) == nil { needingQuotes.insert(text + " → " + name.formattedString) }
                else if name.formattedString != text { failures.append("\(file): \(text) binds back as \(name.formattedString)") }
                if try CPEName(parsing: name.formattedString) != name { failures.append("\(file): \(text) does not survive \(name.formattedString)") }
                if try CPEName(parsing: name.uri) != name { failures.append("\(file): \(text) does not survive its URI \(name.uri)") }
                if !Self.csafPatternAccepts(regex, name.formattedString) { failures.append("\(file): \(name.formattedString) fails the CSAF pattern") }
            } catch {
                failures.append("\(file): \(text): \(error)")
            }
        }
        #expect(needingQuotes == [
            "cpe:2.3:a:ni:vision_builder_for_automated_inspection_(vbai):*:*:*:*:*:*:*:*"
                + " → cpe:2.3:a:ni:vision_builder_for_automated_inspection_\\(vbai\\):*:*:*:*:*:*:*:*",
        ])
        #expect(failures.isEmpty, "\(failures.count) of \(found.count) NI CPEs failed:\n\(failures.joined(separator: "\n"))")
    }
}
