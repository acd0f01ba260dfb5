import CSAF
import Foundation

/// How one generated document is made from two templates: the document section (notes, references, acknowledgments,
/// distribution) of a "frame" template and the product tree and vulnerabilities of a "content" template, so that
/// texts, products, ranges and vulnerability counts combine as in no real advisory while each part stays a real one.
/// Product IDs are the content template's, in its tree and its vulnerabilities alike, so the document stays valid CSAF.
extension CorpusGenerator {
    /// One document as written: its bytes, its path under the provider folder's `white/`, and its release dates.
    struct Document {
        var bytes: [UInt8]
        var relativePath: String
        var initialRelease: Int
        var currentRelease: Int
        var vendors: [String]
    }

    /// The generated publisher: one coordinator republishing everything, as an aggregator's mirror would show it.
    static let publisher: JSONValue = .object([
        JSONMember(key: "category", value: .string("coordinator")),
        JSONMember(key: "contact_details", value: .string("bench@vigil-bench.example")),
        JSONMember(key: "name", value: .string("Vigil Bench Generator")),
        JSONMember(key: "namespace", value: .string(baseURL)),
    ])

    static let baseURL = "https://csaf.vigil-bench.example"

    /// The two templates of document `index`: drawn from a stream of their own, so the CVE numbering (which needs
    /// every document's vulnerability count before any is written) does not depend on the rest of the generation.
    func templateIndices(of index: Int) -> (frame: Int, content: Int) {
        var random = SeededRandom(seed: seed ^ (UInt64(index) &* 0xD1B5_4A32_D192_ED03) ^ 0x7E3A)
        return (random.below(templates.templates.count), random.below(templates.templates.count))
    }

    /// Document `index`, the same for the same seed and templates whatever thread makes it.
    func document(_ index: Int) throws -> Document {
        var random = SeededRandom(seed: seed ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15))
        let (frameIndex, contentIndex) = templateIndices(of: index)
        let frameTemplate = templates.templates[frameIndex]
        let contentTemplate = templates.templates[contentIndex]
        guard let contentTree = try? JSONParser.parse(contentTemplate.bytes) else {
            throw Failure(description: "\(contentTemplate.path) no longer parses")
        }
        let frameTree: JSONValue
        if frameIndex == contentIndex {
            frameTree = contentTree
        } else {
            guard let parsed = try? JSONParser.parse(frameTemplate.bytes) else { throw Failure(description: "\(frameTemplate.path) no longer parses") }
            frameTree = parsed
        }

        // Dates: the initial release anywhere from 2016 to the end date, later revisions within two years of it.
        let revisionCount = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 4, 5][random.below(20)]
        let initial = Self.firstDate + random.below(max(1, Self.lastDate - Self.firstDate - 86_400))
        var dates = [initial]
        let window = min(Self.lastDate, initial + 2 * 365 * 86_400) - initial
        dates += (1..<revisionCount).map { _ in initial + 3_600 + random.below(max(1, window - 3_600)) }.sorted()
        let year = Timestamp.civil(seconds: initial).year
        let number = String(index + 1)
        let id = "VBENCH-\(year)-" + String(repeating: "0", count: max(0, 5 - number.count)) + number
        let fileName = Self.fileName(for: id)
        let relativePath = "\(year)/\(fileName)"

        // Vendors: each of the content template's vendors gets a name from the pool, the same name throughout.
        var vendorMap: [(old: String, new: String)] = []
        for old in contentTemplate.vendors where !vendorMap.contains(where: { $0.old == old }) {
            vendorMap.append((old, pickVendor(&random)))
        }
        let principal = vendorMap.first?.new ?? pickVendor(&random)
        // A digit permutation for product names and model numbers in two documents of five: new product tokens for the
        // search index, the shapes of real ones.
        let digits: [UInt8]? = random.chance(40) ? random.shuffled(Array(0...9).map { UInt8($0) }) : nil

        // New CVE IDs, unique over the whole corpus: vulnerability `offset + k` gets a number from a bijection of the
        // vulnerability's place in the corpus, so no two collide and consecutive ones do not look consecutive.
        var replacements: [(String, String)] = [(contentTemplate.id, id), (contentTemplate.id.lowercased(), id.lowercased())]
        var vulnerabilities = contentTree["vulnerabilities"]?.items ?? []
        let offset = cveOffsets[index]
        for position in vulnerabilities.indices {
            guard let old = vulnerabilities[position]["cve"]?.stringValue else { continue }
            let cveYear = random.chance(70) ? year : max(2015, year - 1 - random.below(3))
            let new = "CVE-\(cveYear)-\(cveNumber(offset + position))"
            replacements.append((old, new))
            vulnerabilities[position].set("cve", .string(new))
        }
        let replacer = Replacer(replacements + vendorMap.map { ($0.old, $0.new) })
        vulnerabilities = vulnerabilities.map { replacer.rewrite($0) }

        var productTree = contentTree["product_tree"] ?? .object([])
        productTree = Self.renameProducts(productTree, vendors: vendorMap, digits: digits)

        // The document section: the frame's, with its own IDs and vendor names replaced by the new ones.
        var document = frameTree["document"] ?? .object([])
        let frameReplacer = Replacer([(frameTemplate.id, id), (frameTemplate.id.lowercased(), id.lowercased())]
                                     + frameTemplate.vendors.map { ($0, principal) })
        let notes = (document["notes"]?.items ?? []).map { note -> JSONValue in
            var note = frameReplacer.rewrite(note)
            // The legal text is the same in every real advisory of a publisher, and the sectors, countries and
            // headquarters notes are lists from a fixed vocabulary (CISA names 16 sectors): perturbed, they made
            // 2,039 "sectors" of 25,000 documents. The rest varies a little.
            let listNotes: Set<String> = ["Critical infrastructure sectors", "Countries/areas deployed", "Company headquarters location"]
            if note["category"]?.stringValue != "legal_disclaimer", !listNotes.contains(note["title"]?.stringValue ?? ""),
               let text = note["text"]?.stringValue {
                note.set("text", .string(perturb(text, perMille: 30, random: &random)))
            }
            return note
        }
        if !notes.isEmpty { document.set("notes", .array(notes)) }
        if let references = document["references"]?.items, !references.isEmpty {
            document.set("references", .array(rewriteReferences(references, id: id, relativePath: relativePath, replacer: frameReplacer)))
        }
        var title = replacer.apply(contentTree["document"]?["title"]?.stringValue ?? id)
        if random.chance(30) { title = perturb(title, perMille: 250, random: &random) }
        document.set("title", .string(title))
        if let category = contentTree["document"]?["category"] { document.set("category", category) }
        document.set("publisher", Self.publisher)
        document.set("tracking", tracking(id: id, dates: dates, frame: frameTree["document"]?["tracking"], random: &random))

        var members = [JSONMember(key: "document", value: document)]
        if case .object(let treeMembers) = productTree, !treeMembers.isEmpty {
            members.append(JSONMember(key: "product_tree", value: productTree))
        }
        if !vulnerabilities.isEmpty { members.append(JSONMember(key: "vulnerabilities", value: .array(vulnerabilities))) }
        return Document(bytes: JSONWriter.write(.object(members)), relativePath: relativePath, initialRelease: dates[0],
                        currentRelease: dates[dates.count - 1], vendors: vendorMap.map(\.new))
    }

    /// CSAF §5.1: the file name is the tracking ID in lower case, every character outside `+`, `-`, a–z and 0–9
    /// replaced by `_`, and `.json`.
    static func fileName(for id: String) -> String {
        String(decoding: id.lowercased().utf8.map { byte in
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2B || byte == 0x2D ? byte : 0x5F
        }, as: UTF8.self) + ".json"
    }

    /// A vendor: one draw in two is a real vendor, weighted as the templates name them; the other a synthetic one from
    /// a pool that grows with the square root of the corpus (Heaps' law, as new vendors keep appearing in real
    /// aggregators but ever more slowly), its low ranks drawn more often than its high ones.
    func pickVendor(_ random: inout SeededRandom) -> String {
        if random.chance(55) || syntheticVendorCount == 0 { return random.pick(templates.vendorDraws.isEmpty ? templates.vendorNames : templates.vendorDraws) }
        let unit = Double(random.next() >> 11) / Double(1 << 53)
        return Self.syntheticVendor(Int(Double(syntheticVendorCount) * unit * unit))
    }

    /// The `index`th synthetic vendor name (`Kelvatron Automation`), distinct for every index.
    static func syntheticVendor(_ index: Int) -> String {
        let first = ["Nor", "Kel", "Vand", "Tras", "Quil", "Brem", "Oxa", "Zen", "Lum", "Dar", "Ferr", "Hal", "Istr", "Jov",
                     "Mar", "Pel", "Rov", "Sol", "Tev", "Ulm", "Wex", "Yar", "Cor", "Gal", "Heb", "Lin", "Mob", "Nex"]
        let second = ["vale", "tron", "aris", "ex", "ode", "ion", "umbra", "ford", "etic", "anta", "ivo", "ust",
                      "ara", "elle", "onix", "tek", "wick", "sys", "ora", "ent"]
        let third = ["Controls", "Automation", "Industrial", "Systems", "Energy", "Instruments", "Robotics", "Grid",
                     "Electric", "Technologies", "Networks", "Medical", "Process Solutions", "Engineering"]
        var rest = index
        let a = first[rest % first.count]; rest /= first.count
        let b = second[rest % second.count]; rest /= second.count
        let c = third[rest % third.count]; rest /= third.count
        return a + b + " " + c + (rest > 0 ? " \(rest + 1)" : "")
    }

    /// The number part of the CVE ID of the corpus's `position`th vulnerability: an odd multiplier modulo a power of two
    /// is a bijection, so the numbers are unique; 1000 is added so that every one has at least four digits.
    func cveNumber(_ position: Int) -> Int {
        let mask = (1 << cveBits) - 1
        return 1000 + ((position &* 0x5BD1_E995 &+ 0x2F41) & mask)
    }

    /// The tracking section: a new ID, 1–5 revisions over the given dates, numbered in the frame's style (integers as
    /// CISA numbers them, or semantic versions), the last one the document's version and current release date.
    func tracking(id: String, dates: [Int], frame: JSONValue?, random: inout SeededRandom) -> JSONValue {
        let integers = (frame?["version"]?.stringValue ?? "1").allSatisfy(\.isNumber)
        func number(_ position: Int) -> String { integers ? String(position + 1) : "1.0.\(position)" }
        let history = dates.enumerated().map { position, date in
            JSONValue.object([
                JSONMember(key: "date", value: .string(Self.timestamp(date))),
                JSONMember(key: "number", value: .string(number(position))),
                JSONMember(key: "summary", value: .string(position == 0 ? "Initial Publication" : random.pick(templates.revisionSummaries))),
            ])
        }
        var members = [JSONMember(key: "current_release_date", value: .string(Self.timestamp(dates[dates.count - 1])))]
        if let generator = frame?["generator"] { members.append(JSONMember(key: "generator", value: generator)) }
        members += [
            JSONMember(key: "id", value: .string(id)),
            JSONMember(key: "initial_release_date", value: .string(Self.timestamp(dates[0]))),
            JSONMember(key: "revision_history", value: .array(history)),
            JSONMember(key: "status", value: .string("final")),
            JSONMember(key: "version", value: .string(number(dates.count - 1))),
        ]
        return .object(members)
    }

    /// The frame's references: `self` ones point at the new document, URLs many templates share stay, and every other
    /// one gets a URL of its own. Otherwise the hundred documents made from one frame at 250,000 would all name the
    /// same vendor advisory, and the store would link them to one another as republications.
    func rewriteReferences(_ references: [JSONValue], id: String, relativePath: String, replacer: Replacer) -> [JSONValue] {
        var selfCount = 0
        return references.enumerated().map { position, reference in
            var reference = replacer.rewrite(reference)
            guard let url = reference["url"]?.stringValue else { return reference }
            if reference["category"]?.stringValue == "self" {
                let last = url.split(separator: "/").last.map(String.init) ?? ""
                let ext = last.contains(".") ? "." + (last.split(separator: ".").last.map(String.init) ?? "json") : ""
                reference.set("url", .string(selfCount == 0 ? "\(Self.baseURL)/white/\(relativePath)"
                                             : "\(Self.baseURL)/advisories/\(id.lowercased())\(ext)"))
                selfCount += 1
            } else if !templates.commonURLs.contains(url) {
                reference.set("url", .string("https://vendor.vigil-bench.example/psirt/\(id.lowercased())-\(position + 1)"))
            }
            return reference
        }
    }

    /// Vendor branches renamed; with `digits`, the digits of product names, families and model numbers permuted
    /// (versions and ranges stay as the template has them, so they still read as ranges).
    static func renameProducts(_ tree: JSONValue, vendors: [(old: String, new: String)], digits: [UInt8]?) -> JSONValue {
        func permute(_ text: String) -> String {
            guard let digits else { return text }
            return String(decoding: text.utf8.map { $0 >= 0x30 && $0 <= 0x39 ? 0x30 + digits[Int($0 - 0x30)] : $0 }, as: UTF8.self)
        }
        func product(_ value: JSONValue) -> JSONValue {
            var value = value
            if let name = value["name"]?.stringValue { value.set("name", .string(permute(name))) }
            if var helper = value["product_identification_helper"], let models = helper["model_numbers"]?.items {
                helper.set("model_numbers", .array(models.map { $0.stringValue.map { .string(permute($0)) } ?? $0 }))
                value.set("product_identification_helper", helper)
            }
            return value
        }
        func branch(_ value: JSONValue) -> JSONValue {
            var value = value
            let category = value["category"]?.stringValue
            if let name = value["name"]?.stringValue {
                if category == "vendor" {
                    value.set("name", .string(vendors.first { $0.old == name }?.new ?? name))
                } else if category == "product_name" || category == "product_family" {
                    value.set("name", .string(permute(name)))
                }
            }
            if let inner = value["product"] { value.set("product", product(inner)) }
            if let children = value["branches"]?.items { value.set("branches", .array(children.map(branch))) }
            return value
        }
        var tree = tree
        if let branches = tree["branches"]?.items { tree.set("branches", .array(branches.map(branch))) }
        if let names = tree["full_product_names"]?.items { tree.set("full_product_names", .array(names.map(product))) }
        if let relationships = tree["relationships"]?.items {
            tree.set("relationships", .array(relationships.map { relationship in
                var relationship = relationship
                if let name = relationship["full_product_name"] { relationship.set("full_product_name", product(name)) }
                return relationship
            }))
        }
        return tree
    }

    /// `text` with about `perMille`/1000 of its words of five letters or more replaced by words of the templates'
    /// vocabulary: the same lengths and shapes, not the same text, so the search index sees a growing vocabulary.
    func perturb(_ text: String, perMille: Int, random: inout SeededRandom) -> String {
        guard !templates.vocabulary.isEmpty else { return text }
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 16)
        var changed = false
        var position = 0
        while position < bytes.count {
            var end = position
            while end < bytes.count, Replacer.isLetter(bytes[end]) { end += 1 }
            if end == position {
                out.append(bytes[position])
                position += 1
                continue
            }
            if end - position >= 5, random.below(1000) < perMille {
                out.append(contentsOf: random.pick(templates.vocabulary).utf8)
                changed = true
            } else {
                out.append(contentsOf: bytes[position..<end])
            }
            position = end
        }
        return changed ? String(decoding: out, as: UTF8.self) : text
    }

    // MARK: Dates

    /// 2016-01-01T00:00:00Z.
    static let firstDate = 1_451_606_400
    /// 2026-12-01T00:00:00Z: fixed rather than now, so that one seed gives the same corpus on any day.
    static let lastDate = 1_796_083_200

    /// `2024-01-04T06:00:00Z` for seconds since 1970.
    static func timestamp(_ seconds: Int) -> String {
        let (year, month, day) = Timestamp.civil(seconds: seconds)
        let time = seconds % 86_400
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(day))T\(two(time / 3600)):\(two(time / 60 % 60)):\(two(time % 60))Z"
    }
}

/// Replaces whole words (IDs, CVE IDs, vendor names) in every string of a JSON tree in one pass over each string's
/// bytes: a pattern matches only where no letter or digit touches it, so the vendor `GE` does not rewrite `GENERAL`.
struct Replacer {
    let patterns: [(old: [UInt8], new: [UInt8])]
    /// Which bytes start a pattern: most strings hold none and are returned as they are.
    let starts: [Bool]

    init(_ pairs: [(String, String)]) {
        let patterns = pairs.filter { !$0.0.isEmpty && $0.0 != $0.1 }.map { (old: Array($0.0.utf8), new: Array($0.1.utf8)) }
            // Longest first, so that `Siemens Energy` wins over `Siemens`.
            .sorted { $0.old.count > $1.old.count }
        var starts = [Bool](repeating: false, count: 256)
        for pattern in patterns { starts[Int(pattern.old[0])] = true }
        self.patterns = patterns
        self.starts = starts
    }

    static func isLetter(_ byte: UInt8) -> Bool { (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) }
    static func isWordByte(_ byte: UInt8) -> Bool { isLetter(byte) || (byte >= 0x30 && byte <= 0x39) || byte >= 0x80 }

    func apply(_ text: String) -> String {
        guard !patterns.isEmpty, text.utf8.contains(where: { starts[Int($0)] }) else { return text }
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var changed = false
        var position = 0
        var copied = 0
        while position < bytes.count {
            guard starts[Int(bytes[position])], position == 0 || !Self.isWordByte(bytes[position - 1]) else {
                position += 1
                continue
            }
            let matched = patterns.first { pattern in
                let end = position + pattern.old.count
                return end <= bytes.count && bytes[position..<end].elementsEqual(pattern.old)
                    && (end == bytes.count || !Self.isWordByte(bytes[end]))
            }
            guard let matched else {
                position += 1
                continue
            }
            if !changed { out.reserveCapacity(bytes.count + 32) }
            changed = true
            out.append(contentsOf: bytes[copied..<position])
            out.append(contentsOf: matched.new)
            position += matched.old.count
            copied = position
        }
        guard changed else { return text }
        out.append(contentsOf: bytes[copied...])
        return String(decoding: out, as: UTF8.self)
    }

    /// The tree with `apply` done to every string value (keys are left alone).
    func rewrite(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text): return .string(apply(text))
        case .array(let items): return .array(items.map(rewrite))
        case .object(let members): return .object(members.map { JSONMember(key: $0.key, value: rewrite($0.value)) })
        default: return value
        }
    }
}
