import CSAF
import Crypto
import Foundation
import Storage
import OpenPGP

/// The documents themselves: requirements 1, 2, 4, 5, 11, 13, 15 (their sidecars listed), 18 and 19.
extension CheckRun {
    struct DocumentFindings: Sendable {
        var tally = Tally()
        var white = false
        var protected = false
        var read = false
    }

    func checkDocuments(_ all: [ListedDocument]) async {
        let chosen = options.maxDocuments.map { Array(all.prefix(max(0, $0))) } ?? all
        checked = chosen.count
        var results: [DocumentFindings] = []
        await withTaskGroup(of: DocumentFindings.self) { group in
            var next = 0
            func schedule() {
                guard next < chosen.count else { return }
                let document = chosen[next]
                next += 1
                group.addTask { await self.checkDocument(document) }
            }
            for _ in 0..<max(1, options.concurrency) { schedule() }
            for await result in group {
                results.append(result)
                schedule()
            }
        }
        for result in results { tally.merge(result.tally) }
        let read = results.filter(\.read).count
        let whites = results.filter(\.white).count
        let sample = chosen.count < all.count ? " (the newest \(chosen.count) of \(all.count) listed)" : ""
        if chosen.isEmpty {
            for number in [1, 2, 18, 19] where !tally.failed(number) { tally.notApplicable[number] = "no document is listed" }
        }
        if !tally.failed(1), !chosen.isEmpty {
            tally.passes[1] = (read == 1 ? "the document checked" : "all \(read) documents checked") + "\(sample) \(read == 1 ? "is" : "are") valid CSAF 2.0 (schema and the 43 mandatory tests)"
        }
        if !tally.failed(2), !chosen.isEmpty { tally.passes[2] = "every file name checked follows its document's tracking ID" }
        if !tally.failed(4) {
            if whites == 0 { tally.notApplicable[4] = "no document checked is labelled TLP:WHITE" }
            else { tally.passes[4] = "\(whites) TLP:WHITE document\(whites == 1 ? "" : "s") read without credentials" }
        }
        if !tally.failed(5), tally.passes[5] == nil {
            tally.notApplicable[5] = "no TLP:AMBER or TLP:RED feed or document was found"
        }
        if usesDirectory, !tally.failed(11) { tally.passes[11] = "every document checked is in the folder of its initial release year" }
        if !tally.failed(18), !chosen.isEmpty { tally.passes[18] = "every document checked has a matching hash file" }
        if !tally.failed(19), !chosen.isEmpty { tally.passes[19] = "every document checked has a signature that verifies with the provider's key" }
    }

    func checkDocument(_ listed: ListedDocument) async -> DocumentFindings {
        var found = DocumentFindings()
        let url = listed.url
        let rolie = listed.origins.compactMap { origin -> (feed: String, tlp: String, hashes: [String], signatures: [String])? in
            if case .rolie(let feed, let tlp, let hashes, let signatures) = origin { return (feed, tlp, hashes, signatures) }
            return nil
        }
        let fileName = (URL(string: url)?.lastPathComponent).map { $0.removingPercentEncoding ?? $0 } ?? url
        let bytes: [UInt8]
        switch await fetch(url, json: true, maxBytes: fetcher.policy.maxDocumentBytes) {
        case .failed(let failure):
            if failure.status == 401 || failure.status == 403 {
                if rolie.isEmpty || rolie.contains(where: { $0.tlp == "WHITE" }) {
                    found.tally.fail(4, "\(url) asks for credentials (HTTP \(failure.status ?? 0)): a TLP:WHITE document must be freely accessible")
                }
            } else if failure.status == 404 {
                found.tally.fail(rolie.isEmpty ? 12 : 15, "\(url) is listed but answers HTTP 404")
            } else {
                found.tally.fail(1, "\(url) could not be read: \(failure.description)")
            }
            return found
        case .body(let body):
            bytes = body
        }
        let parsed: ParsedCSAF
        do {
            guard case .csaf(let csaf) = try CSAFDocumentReader.read(bytes, maxBytes: fetcher.policy.maxDocumentBytes, conformance: true) else {
                found.tally.fail(1, "\(url) is listed as a CSAF document but is another kind of JSON")
                return found
            }
            parsed = csaf
        } catch {
            found.tally.fail(1, "\(url): \(error.message)")
            return found
        }
        found.read = true
        if (parsed.conformance?.mandatory ?? 0) > 0 {
            let findings = (try? CSAFConformance.check(bytes: bytes, groups: [.mandatory])) ?? []
            let tests = Array(Set(findings.map(\.test))).sorted().joined(separator: ", ")
            let first = findings.first.map { ": \($0.path): \($0.message)" } ?? ""
            found.tally.fail(1, "\(url) fails mandatory test\(tests.contains(",") ? "s" : "") \(tests)\(first)")
        }
        let tracking = parsed.document.document.tracking
        let expected = CSAFFilename.name(forTrackingID: tracking.id)
        if fileName != expected {
            found.tally.fail(2, "\(url): the file is named \(fileName); its tracking ID \(tracking.id) makes it \(expected)")
        }
        func bare(_ url: String) -> String { url.hasSuffix("/") ? String(url.dropLast()) : url }
        if let namespace = metadataPublisher, bare(parsed.document.document.publisher.namespace) != bare(namespace) {
            found.tally.advise(7, "the documents' publisher namespace \(parsed.document.document.publisher.namespace) differs from the metadata's \(namespace); they SHOULD match")
        }

        // TLP: requirements 4, 5 and the feed a document is listed in (15).
        let label = parsed.document.document.distribution?.tlp?.label.rawValue ?? "UNLABELED"
        if label == "WHITE" { found.white = true }
        if label == "AMBER" || label == "RED" {
            found.tally.fail(5, "\(url) is labelled TLP:\(label) and can be read without credentials")
        }
        for entry in rolie where entry.tlp != label {
            found.tally.fail(15, "\(url) is labelled \(label == "UNLABELED" ? "with no TLP" : "TLP:" + label) but listed in the TLP:\(entry.tlp) feed \(entry.feed)")
        }

        // Directory: the year folder (11) and changes.csv's time (13).
        for origin in listed.origins {
            guard case .directory(let base, let path, let changed) = origin else { continue }
            let year = String(tracking.initialReleaseDate.prefix(4))
            let folderName = path.split(separator: "/").dropLast().last.map(String.init)
            if folderName != year {
                found.tally.fail(11, "\(base)\(path) is not in the folder \(year)/ of its initial release date (\(tracking.initialReleaseDate))")
            }
            if let changed, let listedDate = Timestamp.parse(changed), let current = Timestamp.parse(tracking.currentReleaseDate), listedDate != current {
                found.tally.fail(13, "\(base)changes.csv gives \(changed) for \(path); its current_release_date is \(tracking.currentReleaseDate)")
            }
        }

        // Requirement 18: hash files, as the feed links them or beside the document.
        let linkedHashes = rolie.flatMap(\.hashes)
        var hashFiles = 0
        for candidate in unique(linkedHashes + [url + ".sha256", url + ".sha512"]) {
            let linked = linkedHashes.contains(candidate)
            switch await fetch(candidate, maxBytes: 1 << 16) {
            case .failed(let failure):
                if linked { found.tally.fail(18, "the feed links the hash file \(candidate), which cannot be read: \(failure.description)") }
            case .body(let body):
                hashFiles += 1
                if !rolie.isEmpty, !linked {
                    found.tally.fail(15, "the hash file \(candidate) exists but the feed entry for \(fileName) does not link it (rel \"hash\")")
                }
                if let problem = hashProblem(String(decoding: body, as: UTF8.self), file: candidate, documentName: fileName, bytes: bytes) {
                    found.tally.fail(18, problem)
                }
            }
        }
        for candidate in linkedHashes where candidate.lowercased().hasSuffix(".md5") || candidate.lowercased().hasSuffix(".sha1") {
            found.tally.advise(18, "\(candidate): MD5 and SHA-1 SHOULD NOT be used")
        }
        if hashFiles == 0 {
            found.tally.fail(18, "\(url) has no hash file (\(fileName).sha256 or .sha512\(rolie.isEmpty ? "" : ", or one linked from its feed entry"))")
        }

        // Requirement 19: the signature file, verified with the provider's keys.
        let linkedSignatures = rolie.flatMap(\.signatures)
        var signatures = 0
        for candidate in unique(linkedSignatures + [url + ".asc"]) {
            let linked = linkedSignatures.contains(candidate)
            switch await fetch(candidate, maxBytes: 1 << 16) {
            case .failed(let failure):
                if linked { found.tally.fail(19, "the feed links the signature \(candidate), which cannot be read: \(failure.description)") }
            case .body(let signature):
                signatures += 1
                if !rolie.isEmpty, !linked {
                    found.tally.fail(15, "the signature \(candidate) exists but the feed entry for \(fileName) does not link it (rel \"signature\")")
                }
                guard let keyring else {
                    found.tally.fail(19, "\(candidate) cannot be verified: no key of the provider could be read (requirement 20)")
                    continue
                }
                let verification = keyring.verify(signature: signature, of: bytes, now: options.now())
                if verification.outcome != .verified {
                    found.tally.fail(19, "\(candidate) does not verify: \(verification.reason)")
                }
            }
        }
        if signatures == 0 { found.tally.fail(19, "\(url) has no OpenPGP signature (\(fileName).asc)") }
        return found
    }

    func unique(_ urls: [String]) -> [String] {
        var seen = Set<String>()
        return urls.filter { seen.insert($0).inserted }
    }

    /// §7.1.18, read strictly: the file starts with the hex digest; a file name after it is separated by whitespace and
    /// names the document.
    func hashProblem(_ text: String, file: String, documentName: String, bytes: [UInt8]) -> String? {
        let lower = file.lowercased()
        let actual: String, length: Int
        if lower.hasSuffix(".sha512") {
            actual = IntegrityChecker.hex(SHA512.hash(data: bytes)); length = 128
        } else if lower.hasSuffix(".sha256") {
            actual = IntegrityChecker.hex(SHA256.hash(data: bytes)); length = 64
        } else if lower.hasSuffix(".sha384") {
            actual = IntegrityChecker.hex(SHA384.hash(data: bytes)); length = 96
        } else {
            return nil
        }
        let digest = text.prefix { $0.isHexDigit }
        guard digest.count == length else {
            return "\(file) does not start with the \(length)-digit hexadecimal digest" + (text.first.map { $0.isHexDigit ? "" : " (it starts with \"\(String(text.prefix(12)).debugDescription.dropFirst().dropLast())\")" } ?? " (it is empty)")
        }
        guard digest.lowercased() == actual else {
            return "\(file) gives \(digest.prefix(16))…, but \(documentName) hashes to \(actual.prefix(16))…"
        }
        let rest = text.dropFirst(digest.count)
        if let next = rest.first, !next.isWhitespace { return "\(file): the digest is not followed by a space" }
        var named = rest.split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        if named.hasPrefix("*") { named.removeFirst() }
        if !named.isEmpty, !IntegrityChecker.namesSameFile(named, documentName) {
            return "\(file) names \"\(named)\", not \"\(documentName)\""
        }
        return nil
    }
}
