import CSAF
import Foundation

extension AdvisoryDiff {
    /// The longest sentence `summary` writes, in characters.
    public static let maxSentenceLength = 160

    /// The changes as short English sentences for an email or a page, most important first within each section
    /// (tracking, products, vulnerabilities, remediations, notes, references): `status interim → final`,
    /// `2 products added: A, B and C`, `SIMATIC S7-1500 V2.9: known affected → fixed`, `CVE-2024-1234 added`,
    /// `CVSS of CVE-2024-1234 7.5 HIGH → 9.8 CRITICAL`, `version range respelled for X, meaning unchanged`.
    ///
    /// Each sentence is at most `maxSentenceLength` characters: lists name up to three items, then `and N more`, and
    /// long names are cut with `…`. The current release date, which every new revision moves, is mentioned only when
    /// nothing else changed. Empty exactly when `isEmpty`.
    public var summary: [String] {
        var lines: [String] = []
        lines += trackingSentences
        lines += productSentences
        lines += vulnerabilitySentences
        lines += remediationSentences
        lines += noteSentences
        lines += referenceSentences
        if lines.isEmpty, let date = tracking.currentReleaseDate {
            lines.append("current release date \(Self.day(date.old)) → \(Self.day(date.new))")
        }
        return lines.map(Self.clip)
    }

    // MARK: - Sections

    private var trackingSentences: [String] {
        var lines: [String] = []
        if let status = tracking.status { lines.append("status \(Self.value(status.old)) → \(Self.value(status.new))") }
        if let version = tracking.version { lines.append("version \(Self.value(version.old)) → \(Self.value(version.new))") }
        if let title = tracking.title { lines.append("title changed: \"\(Self.value(title.old))\" → \"\(Self.value(title.new))\"") }
        if let date = tracking.initialReleaseDate {
            lines.append("initial release date \(Self.day(date.old)) → \(Self.day(date.new))")
        }
        if let tlp = tracking.tlp { lines.append("TLP \(Self.value(tlp.old)) → \(Self.value(tlp.new))") }
        if let severity = tracking.aggregateSeverity {
            lines.append("aggregate severity \(Self.value(severity.old)) → \(Self.value(severity.new))")
        }
        if let score = tracking.highestScore {
            lines.append("highest CVSS \(Self.score(score.old)) → \(Self.score(score.new))")
        }
        if let risk = tracking.riskSummary { lines.append(Self.textSentence("risk summary", risk)) }
        let revisions = tracking.revisionsAdded
        for revision in revisions.prefix(3) {
            let summary = AdvisoryDiffText.collapsed(revision.summary)
            lines.append("revision \(revision.number) added" + (summary.isEmpty ? "" : ": \(summary)"))
        }
        if revisions.count > 3 { lines.append("and \(revisions.count - 3) more revision history entries") }
        return lines
    }

    private var productSentences: [String] {
        var lines: [String] = []
        let added = products.added.map(\.name), removed = products.removed.map(\.name)
        if !added.isEmpty { lines.append(Self.list(added, count: "product", verb: "added")) }
        if !removed.isEmpty { lines.append(Self.list(removed, count: "product", verb: "removed")) }

        // Status changes, one sentence per transition.
        var transitions: [String: [ProductChange]] = [:]
        var transitionOrder: [String] = []
        for change in products.changed {
            guard let status = change.status else { continue }
            let transition = "\(status.old?.label ?? "no status") → \(status.new?.label ?? "no status")"
            if transitions[transition] == nil { transitionOrder.append(transition) }
            transitions[transition, default: []].append(change)
        }
        for transition in transitionOrder.sorted() {
            let names = transitions[transition, default: []].map(\.product.name)
            if names.count == 1 {
                lines.append(Self.fit(names[0]) { "\($0): \(transition)" })
            } else {
                lines.append(Self.listing(names) { "\(transition) for \(names.count) products: \($0)" })
            }
        }

        let ranged = products.changed.filter { $0.range?.kind == .changed }
        if ranged.count == 1, let change = ranged.first, let range = change.range {
            lines.append("version range of \(Self.shortened(change.product.product)) changed: "
                + "\(Self.shortened(range.old ?? "none")) → \(Self.shortened(range.new ?? "none"))")
        } else if ranged.count > 1 {
            lines.append(Self.listing(ranged.map(\.product.name)) { "version ranges changed for \(ranged.count) products: \($0)" })
        }
        let respelled = products.respelled
        if !respelled.isEmpty {
            lines.append(Self.listing(respelled.map(\.product.name)) { "version range respelled for \($0), meaning unchanged" })
        }
        let renamed = products.changed.filter { $0.fullName != nil }
        if !renamed.isEmpty { lines.append(Self.listing(renamed.map(\.product.name)) { "product name changed for \($0)" }) }
        let identified = products.changed.filter(\.identifiersChanged)
        if !identified.isEmpty {
            lines.append(Self.listing(identified.map(\.product.name)) { "product identifiers (CPE, package URL, model numbers) changed for \($0)" })
        }
        return lines
    }

    private var vulnerabilitySentences: [String] {
        var lines: [String] = []
        for (list, verb) in [(vulnerabilities.added, "added"), (vulnerabilities.removed, "removed")] where !list.isEmpty {
            if list.count == 1, let only = list.first {
                lines.append("\(Self.shortened(only.key)) \(verb)" + (only.score.map { " (CVSS \(Self.score($0)))" } ?? ""))
            } else {
                lines.append(Self.list(list.map(\.key), count: "vulnerability", plural: "vulnerabilities", verb: verb))
            }
        }
        for change in vulnerabilities.changed {
            let key = Self.shortened(change.key)
            if let score = change.score {
                if let old = score.old, let new = score.new, old.score == new.score, old.severity == new.severity {
                    lines.append("CVSS vector of \(key) changed: \(old.vector) → \(new.vector)")
                } else {
                    lines.append("CVSS of \(key) \(Self.score(score.old)) → \(Self.score(score.new))")
                }
            }
            if change.title != nil { lines.append("title of \(key) changed") }
            if let cwe = change.cwe {
                lines.append("CWE of \(key): \(Self.shortened(Self.value(cwe.old))) → \(Self.shortened(Self.value(cwe.new)))")
            }
            if let summary = change.summary { lines.append(Self.textSentence("description of \(key)", summary)) }
        }
        return lines
    }

    private var remediationSentences: [String] {
        var lines: [String] = []
        for (list, verb) in [(remediations.added, "added"), (remediations.removed, "removed")] {
            // One sentence per remediation, or per category when it has several.
            for (category, group) in Self.grouped(list, by: \.category) {
                let kind = "(\(category.replacingOccurrences(of: "_", with: " ")))"
                let targets = Self.targets(group)
                let what = group.count == 1 ? "remediation \(kind) \(verb)" : "\(group.count) remediations \(kind) \(verb)"
                lines.append(targets.isEmpty ? what : Self.listing(targets) { "\(what) for \($0)" })
            }
        }
        for (category, group) in Self.grouped(remediations.changed, by: \.new.category) {
            let kind = "(\(category.replacingOccurrences(of: "_", with: " ")))"
            if group.count > 3 {
                lines.append(Self.listing(Self.targets(group.map(\.new))) { "\(group.count) remediations \(kind) changed for \($0)" })
                continue
            }
            for change in group {
                var aspects: [String] = []
                if change.old.category != change.new.category { aspects.append("category") }
                if change.details != nil { aspects.append("details") }
                if change.old.url != change.new.url { aspects.append("URL") }
                if change.old.date != change.new.date { aspects.append("date") }
                if change.old.products != change.new.products { aspects.append("products") }
                if change.old.cves != change.new.cves { aspects.append("CVEs") }
                let what = aspects.isEmpty ? "" : ": " + aspects.joined(separator: ", ")
                let targets = Self.targets([change.new])
                lines.append(targets.isEmpty ? "remediation \(kind) changed\(what)"
                    : Self.listing(targets) { "remediation \(kind) for \($0) changed\(what)" })
            }
        }
        return lines
    }

    /// The products the remediations apply to, or their CVEs when they name no product; without repeats, in order.
    private static func targets(_ remediations: [RemediationRef]) -> [String] {
        var seen = Set<String>()
        return remediations.flatMap { $0.products.isEmpty ? $0.cves : $0.products }.filter { seen.insert($0).inserted }
    }

    /// The items grouped by a key, groups in the order their first item comes.
    private static func grouped<Item>(_ items: [Item], by key: (Item) -> String) -> [(String, [Item])] {
        var groups: [(String, [Item])] = []
        var positions: [String: Int] = [:]
        for item in items {
            let name = key(item)
            if let position = positions[name] {
                groups[position].1.append(item)
            } else {
                positions[name] = groups.count
                groups.append((name, [item]))
            }
        }
        return groups
    }

    private var noteSentences: [String] {
        // Notes that share a title and a kind of change (CISA repeats `Recommended Practices`) share a sentence.
        Self.grouped(notes) { "\($0.category)\u{1F}\($0.title ?? "")\u{1F}\($0.change.kind.rawValue)" }.map { _, group in
            let note = group[0]
            let title = AdvisoryDiffText.collapsed(note.title ?? "")
            let name = title.isEmpty ? "(\(note.category))" : "\"\(Self.shortened(title))\""
            guard group.count > 1 else { return Self.textSentence("note \(name)", note.change) }
            guard note.change.kind == .changed else { return "\(group.count) notes \(name) \(note.change.kind.rawValue)" }
            let words = WordDiff(runs: group.flatMap { $0.change.words?.runs ?? [] })
            return Self.textSentence("\(group.count) notes \(name)", TextChange(kind: .changed, words: words))
        }
    }

    private var referenceSentences: [String] {
        var lines: [String] = []
        for (list, verb) in [(references.added, "added"), (references.removed, "removed")] where !list.isEmpty {
            lines.append(Self.list(list.map(\.url), count: "reference", verb: verb))
        }
        return lines
    }

    // MARK: - Wording

    /// `1 product added: A`, `4 products added: A, B, C and 1 more`.
    private static func list(_ names: [String], count noun: String, plural: String? = nil, verb: String) -> String {
        let counted = "\(names.count) \(names.count == 1 ? noun : plural ?? noun + "s") \(verb)"
        return listing(names) { "\(counted): \($0)" }
    }

    /// The sentence `make` writes around up to three of the names (`A, B and C`, `A, B, C and 4 more`), with fewer
    /// names, then a shortened one, when the sentence would be too long.
    static func listing(_ names: [String], _ make: (String) -> String) -> String {
        let names = names.map(AdvisoryDiffText.collapsed)
        guard !names.isEmpty else { return make("") }
        for shown in stride(from: min(3, names.count), through: 1, by: -1) {
            let sentence = make(joined(Array(names.prefix(shown)), more: names.count - shown))
            if sentence.count <= maxSentenceLength { return sentence }
        }
        let rest = names.count - 1
        return fit(names[0]) { make(joined([$0], more: rest)) }
    }

    private static func joined(_ names: [String], more: Int) -> String {
        if more > 0 { return names.joined(separator: ", ") + " and \(more) more" }
        if names.count < 2 { return names.joined() }
        return names.dropLast().joined(separator: ", ") + " and " + (names.last ?? "")
    }

    /// The sentence `make` writes around `name`, with the name cut as much as the length limit needs.
    static func fit(_ name: String, _ make: (String) -> String) -> String {
        let sentence = make(name)
        guard sentence.count > maxSentenceLength else { return sentence }
        let room = maxSentenceLength - (sentence.count - name.count) - 1
        guard room > 8 else { return sentence }
        return make(String(name.prefix(room)) + "…")
    }

    /// `note "Title" changed (3 words inserted, 1 deleted)`, `… added`, `… removed`.
    private static func textSentence(_ name: String, _ change: TextChange) -> String {
        switch change.kind {
        case .added: return "\(name) added"
        case .removed: return "\(name) removed"
        case .changed:
            guard let words = change.words else { return "\(name) changed" }
            let inserted = words.insertedWords.count, deleted = words.deletedWords.count
            let counts = [inserted > 0 ? "\(inserted) word\(inserted == 1 ? "" : "s") inserted" : nil,
                          deleted > 0 ? "\(deleted) deleted" : nil].compactMap { $0 }
            let detail = inserted == 0 && deleted > 0 ? "\(deleted) word\(deleted == 1 ? "" : "s") deleted" : counts.joined(separator: ", ")
            return "\(name) changed" + (detail.isEmpty ? "" : " (\(detail))")
        }
    }

    private static func value(_ text: String?) -> String {
        guard let text else { return "none" }
        let collapsed = AdvisoryDiffText.collapsed(text)
        return collapsed.isEmpty ? "none" : shortened(collapsed)
    }

    /// A name cut to 60 characters, for sentences that hold two of them.
    static func shortened(_ text: String) -> String {
        let collapsed = AdvisoryDiffText.collapsed(text)
        return collapsed.count > 60 ? String(collapsed.prefix(59)) + "…" : collapsed
    }

    /// `7.5 HIGH`, or `none`.
    static func score(_ score: CVSSScore?) -> String {
        guard let score else { return "none" }
        return String(format: "%.1f", score.score) + " " + score.severity.label
    }

    /// `2024-09-06` (UTC), or `none`.
    static func day(_ date: Date?) -> String {
        guard let date else { return "none" }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    static func clip(_ sentence: String) -> String {
        sentence.count > maxSentenceLength ? String(sentence.prefix(maxSentenceLength - 1)) + "…" : sentence
    }
}
