import CSAF
import Foundation
import Storage

/// The listings: ROLIE feeds, service and category documents (requirements 15 to 17, and 5 for protected feeds), and
/// directories with `index.txt`, `changes.csv` and their listings (requirements 11 to 14).
extension CheckRun {
    static let publicLabels: Set<String> = ["WHITE", "GREEN", "UNLABELED"]

    func checkDistributions(_ metadata: JSONValue) async -> [ListedDocument] {
        var feeds: [(url: String, tlp: String)] = []
        var services: [String] = [], categories: [String] = [], directories: [String] = []
        for distribution in metadata["distributions"].arrayValue {
            if let directory = distribution["directory_url"]?.stringValue { directories.append(directory.hasSuffix("/") ? directory : directory + "/") }
            if let rolie = distribution["rolie"] {
                for feed in rolie["feeds"].arrayValue {
                    if let url = feed["url"]?.stringValue { feeds.append((url, (feed["tlp_label"]?.stringValue ?? "UNLABELED").uppercased())) }
                }
                services += rolie["services"].arrayValue.compactMap(\.stringValue)
                categories += rolie["categories"].arrayValue.compactMap(\.stringValue)
            }
        }
        usesROLIE = !feeds.isEmpty
        usesDirectory = !directories.isEmpty
        if !usesROLIE {
            for number in 15...17 { tally.notApplicable[number] = "the provider publishes no ROLIE feed (its directory distribution answers to requirements 11 to 14)" }
        }
        if !usesDirectory {
            for number in 11...14 { tally.notApplicable[number] = "the provider publishes by ROLIE feeds, not a directory_url (requirements 15 to 17 apply instead)" }
        }
        if !usesROLIE && !usesDirectory {
            tally.fail(7, "the provider metadata names no distribution: neither a ROLIE feed nor a directory_url")
        }
        var documents: [String: ListedDocument] = [:]
        func add(_ url: String, updated: String?, origin: ListedDocument.Origin) {
            let date = updated.flatMap(Timestamp.parse)
            documents[url, default: ListedDocument(url: url, updated: date, origins: [])].origins.append(origin)
            if let date, (documents[url]?.updated ?? .distantPast) < date { documents[url]?.updated = date }
        }

        // Requirement 5: protected feeds must not open to an anonymous reader, nor share a path with public ones.
        let protected = feeds.filter { ["AMBER", "RED"].contains($0.tlp) }
        let open = feeds.filter { CheckRun.publicLabels.contains($0.tlp) }
        for feed in protected {
            switch await fetch(feed.url, json: true) {
            case .body:
                tally.fail(5, "the TLP:\(feed.tlp) feed \(feed.url) can be read without credentials")
            case .failed(let failure):
                if failure.status != 401 && failure.status != 403 {
                    tally.advise(5, "the TLP:\(feed.tlp) feed \(feed.url) could not be read (\(failure.description)); whether it asks for credentials could not be told")
                }
            }
            if open.contains(where: { folder(of: $0.url) == folder(of: feed.url) }) {
                tally.fail(5, "the TLP:\(feed.tlp) feed \(feed.url) is in the same folder as a TLP:WHITE, TLP:GREEN or unlabeled feed")
            }
        }
        if !protected.isEmpty, !tally.failed(5) { tally.passes[5] = "\(protected.count) TLP:AMBER/RED feed\(protected.count == 1 ? "" : "s") refused an anonymous reader" }

        // Requirement 15.
        if usesROLIE, open.isEmpty { tally.fail(15, "no TLP:WHITE, TLP:GREEN or unlabeled ROLIE feed: at least one must exist") }
        for feed in open {
            switch await readJSON(feed.url) {
            case .problem(let problem):
                tally.fail(15, problem)
                if feed.tlp == "WHITE", problem.contains("HTTP 401") || problem.contains("HTTP 403") {
                    tally.fail(4, "the TLP:WHITE feed \(feed.url) asks for credentials")
                }
            case .value(let value):
                for problem in ROLIESchema.feedProblems(value) { tally.fail(15, "\(feed.url): \(problem)") }
                let entries: [JSONValue] = value["feed"]?["entry"].arrayValue ?? []
                for entry in entries {
                    let links = entry["link"].arrayValue
                    // "ref" for "rel" is a slip seen in CISA's own IT feed: named as such, and its links still read.
                    func link(_ rel: String) -> [String] {
                        links.filter { ($0["rel"] ?? $0["ref"])?.stringValue == rel }.compactMap { $0["href"]?.stringValue }
                    }
                    for misspelt in links where misspelt["rel"] == nil && misspelt["ref"] != nil {
                        tally.fail(15, "\(feed.url): the entry \(entry["id"]?.stringValue ?? "?") links \(misspelt["href"]?.stringValue ?? "?") with \"ref\"; RFC 8322 and §7.1.15 name it \"rel\"")
                    }
                    guard let url = link("self").first ?? entry["content"]?["src"]?.stringValue else { continue }
                    add(url, updated: entry["updated"]?.stringValue ?? entry["published"]?.stringValue,
                        origin: .rolie(feed: feed.url, tlp: feed.tlp, hashes: link("hash"), signatures: link("signature")))
                }
            }
        }
        if usesROLIE, !tally.failed(15) {
            tally.passes[15] = "\(feeds.count) ROLIE feed\(feeds.count == 1 ? "" : "s") read, \(documents.count) entr\(documents.count == 1 ? "y" : "ies")"
        }

        // Requirement 16 (optional documents: when named, they must be right).
        if usesROLIE {
            if services.isEmpty { tally.notApplicable[16] = "the metadata names no ROLIE service document (they are optional)" }
            for url in services {
                switch await readJSON(url) {
                case .problem(let problem): tally.fail(16, problem)
                case .value(let value):
                    let workspaces: [JSONValue] = value["service"]?["workspace"].arrayValue ?? []
                    let collections = workspaces.flatMap { $0["collection"].arrayValue }
                    if value["service"] == nil || collections.isEmpty {
                        tally.fail(16, "\(url) is not a ROLIE service document with service.workspace[].collection[]")
                        continue
                    }
                    let listed = Set(collections.compactMap { $0["href"]?.stringValue })
                    for feed in feeds where !listed.contains(feed.url) { tally.fail(16, "\(url) does not list the feed \(feed.url)") }
                }
            }
            if !services.isEmpty, !tally.failed(16) { tally.passes[16] = "the service document lists every feed" }
            // Requirement 17.
            if categories.isEmpty { tally.notApplicable[17] = "the metadata names no ROLIE category document (they are optional)" }
            for url in categories {
                switch await readJSON(url) {
                case .problem(let problem): tally.fail(17, problem)
                case .value(let value):
                    let terms: [JSONValue] = value["categories"]?["category"].arrayValue ?? []
                    if terms.isEmpty || terms.contains(where: { $0["term"]?.stringValue == nil }) {
                        tally.fail(17, "\(url) is not a ROLIE category document (categories.category[] with a term each)")
                    }
                }
            }
            if !categories.isEmpty, !tally.failed(17) { tally.passes[17] = "\(categories.count) category document\(categories.count == 1 ? "" : "s") read" }
        }

        // Requirements 12 to 14.
        for base in directories {
            let paths = await checkDirectory(base)
            for (path, changed) in paths {
                let url = path.contains("://") ? path : base + path
                add(url, updated: changed, origin: .directory(base: base, path: path, changed: changed))
            }
        }
        listed = documents.count
        return documents.values.sorted { ($0.updated ?? .distantPast, $1.url) > ($1.updated ?? .distantPast, $0.url) }
    }

    func folder(of url: String) -> String { url.lastIndex(of: "/").map { String(url[..<$0]) } ?? url }

    /// index.txt, changes.csv and the listings of one directory; the documents they name, with changes.csv's time.
    func checkDirectory(_ base: String) async -> [(path: String, changed: String?)] {
        var index: [String] = []
        var indexRead = false
        switch await fetch(base + "index.txt", maxBytes: fetcher.policy.maxListingBytes) {
        case .failed(let failure): tally.fail(12, failure.description)
        case .body(let body):
            indexRead = true
            index = String(decoding: body, as: UTF8.self).split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        var changes: [(path: String, date: String)] = []
        var changesRead = false
        switch await fetch(base + "changes.csv", maxBytes: fetcher.policy.maxListingBytes) {
        case .failed(let failure): tally.fail(13, failure.description)
        case .body(let body):
            changesRead = true
            var previous: (line: Int, date: Date, text: String)?
            for (offset, line) in String(decoding: body, as: UTF8.self).split(whereSeparator: \.isNewline).enumerated() {
                let number = offset + 1
                guard let (path, date) = Self.csvLine(String(line)) else {
                    tally.fail(13, "\(base)changes.csv line \(number) is not \"file name\",\"time\": \(line.prefix(120))")
                    continue
                }
                guard let parsed = Timestamp.parse(date) else {
                    tally.fail(13, "\(base)changes.csv line \(number): \(date) is not a date-time")
                    continue
                }
                if let previous, parsed > previous.date {
                    tally.fail(13, "\(base)changes.csv line \(number) (\(date)) is newer than line \(previous.line) (\(previous.text)): lines must be sorted latest first")
                }
                previous = (number, parsed, date)
                changes.append((path, date))
            }
        }
        if indexRead, changesRead {
            let inChanges = Set(changes.map(\.path)), inIndex = Set(index)
            for path in index where !inChanges.contains(path) { tally.fail(13, "\(path) is in index.txt but not in \(base)changes.csv") }
            for path in Set(changes.map(\.path)).sorted() where !inIndex.contains(path) { tally.fail(12, "\(path) is in changes.csv but not in \(base)index.txt") }
        }
        if indexRead, !tally.failed(12) { tally.passes[12] = "\(base)index.txt lists \(index.count) document\(index.count == 1 ? "" : "s")" }
        if changesRead, !tally.failed(13) { tally.passes[13] = "\(base)changes.csv lists \(changes.count) change\(changes.count == 1 ? "" : "s"), latest first" }

        // Requirement 14: the directory and its folders list what index.txt names.
        let all = Array(Set(index + changes.map(\.path))).sorted()
        var byFolder: [String: [String]] = [:]
        for path in all where !path.contains("://") {
            let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
            guard let file = parts.last else { continue }
            byFolder[parts.dropLast().joined(separator: "/"), default: []].append(file)
            if parts.count > 1 { byFolder["", default: []].append(parts[0] + "/") }
        }
        for (folder, names) in byFolder.sorted(by: { $0.key < $1.key }).prefix(50) {
            let url = folder.isEmpty ? base : base + folder + "/"
            switch await fetch(url, maxBytes: fetcher.policy.maxListingBytes) {
            case .failed(let failure): tally.fail(14, "the directory listing \(url) cannot be read: \(failure.description)")
            case .body(let body):
                let page = String(decoding: body, as: UTF8.self)
                for name in Set(names).sorted() {
                    let bare = name.hasSuffix("/") ? String(name.dropLast()) : name
                    let encoded = bare.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? bare
                    if !page.contains(bare) && !page.contains(encoded) { tally.fail(14, "the directory listing \(url) does not show \(name)") }
                }
            }
        }
        if !tally.failed(14), !byFolder.isEmpty { tally.passes[14] = "the listings of \(min(byFolder.count, 50)) folder\(byFolder.count == 1 ? "" : "s") show their documents" }
        // changes.csv's newest time per path; index.txt's paths without one.
        var newest: [String: String] = [:]
        for change in changes where newest[change.path] == nil { newest[change.path] = change.date }
        return all.map { ($0, newest[$0]) }
    }

    /// `"path","time"` (the quotes optional, as providers write it).
    static func csvLine(_ line: String) -> (String, String)? {
        let fields = line.split(separator: ",", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard fields.count == 2 else { return nil }
        func unquoted(_ text: String) -> String? {
            if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { return String(text.dropFirst().dropLast()) }
            return text.contains("\"") ? nil : text
        }
        guard let path = unquoted(fields[0]), let date = unquoted(fields[1]), !path.isEmpty, !date.isEmpty else { return nil }
        return (path, date)
    }
}

/// What RFC 8322 and CSAF 2.0 §7.1.15 ask of a ROLIE feed.
enum ROLIESchema {
    static func feedProblems(_ value: JSONValue) -> [String] {
        guard let feed = value["feed"] else { return ["not a ROLIE feed: there is no feed object"] }
        var problems: [String] = []
        for key in ["id", "title"] where (feed[key]?.stringValue ?? "").isEmpty { problems.append("$.feed.\(key) is missing") }
        if !feed["link"].arrayValue.contains(where: { $0["rel"]?.stringValue == "self" }) { problems.append("$.feed.link has no self link") }
        if feed["updated"]?.stringValue.flatMap(Timestamp.parse) == nil { problems.append("$.feed.updated is missing or not a date-time") }
        guard let entries = feed["entry"], case .array(let items) = entries else {
            problems.append("$.feed.entry is missing or not an array")
            return problems
        }
        for (i, entry) in items.enumerated() {
            let path = "$.feed.entry[\(i)]"
            for key in ["id", "title"] where (entry[key]?.stringValue ?? "").isEmpty { problems.append("\(path).\(key) is missing") }
            if !entry["link"].arrayValue.contains(where: { $0["rel"]?.stringValue == "self" }) { problems.append("\(path).link has no self link") }
            for key in ["published", "updated"] where entry[key]?.stringValue.flatMap(Timestamp.parse) == nil {
                problems.append("\(path).\(key) is missing or not a date-time")
            }
            if entry["content"]?["src"]?.stringValue == nil { problems.append("\(path).content.src is missing") }
            if entry["content"]?["type"]?.stringValue != "application/json" { problems.append("\(path).content.type must be application/json") }
            if entry["format"]?["version"]?.stringValue != "2.0" { problems.append("\(path).format.version must be \"2.0\"") }
        }
        return problems
    }
}
