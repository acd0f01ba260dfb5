import CSAF
import Foundation
import OpenPGP
import Storage

/// The OpenPGP keys that documents on disk are checked against: keys named with `--key` (trusted for every file), and
/// for each provider folder found (a folder holding CSAF provider metadata, whatever the file is called), the keys its
/// metadata lists under `public_openpgp_keys`, read from the key files beside it and pinned to the listed fingerprints.
public struct ProviderKeys: Sendable {
    public struct Provider: Sendable {
        /// The folder that holds the provider metadata; documents under it are this provider's.
        public var root: String
        public var name: String
        public var keyring: Keyring
    }

    public var explicit: Keyring?
    /// Longest root first, so that the nearest provider wins.
    public var providers: [Provider]
    /// Keys listed but not found, fingerprints that do not match, unreadable key files: sentences to show the user.
    public var problems: [String]

    public init(explicit: Keyring? = nil, providers: [Provider] = [], problems: [String] = []) {
        self.explicit = explicit
        self.providers = providers.sorted { $0.root.count > $1.root.count }
        self.problems = problems
    }

    /// The keys a document at `path` is checked against, or nil when none are known for it (its signature then
    /// stays unchecked rather than failing).
    public func keyring(for path: String) -> Keyring? {
        let provider = providers.first { path.hasPrefix($0.root + "/") }
        switch (provider?.keyring, explicit) {
        case (nil, nil): return nil
        case (let p?, nil): return p
        case (nil, let e?): return e
        case (let p?, let e?): return Keyring(certificates: p.certificates + e.certificates)
        }
    }

    /// Reads key files given on the command line (armored or binary, any number of keys each).
    public static func readKeyFiles(_ paths: [String]) throws -> Keyring? {
        guard !paths.isEmpty else { return nil }
        var certificates: [Certificate] = []
        for path in paths {
            guard let bytes = FileReader.readSmall(path) else {
                throw KeyFileError(description: "\(path): the key file cannot be read (missing, unreadable or over 1 MiB)")
            }
            do {
                certificates += try Certificate.read(bytes)
            } catch {
                throw KeyFileError(description: "\(path): not an OpenPGP public key: \(error)")
            }
        }
        return Keyring(certificates: certificates)
    }

    /// Loads the keys that the provider metadata files at `metadataPaths` list from the files beside them. A file
    /// that is not CSAF provider metadata, whatever its name, is passed over.
    ///
    /// A listed key is looked for in the metadata's folder and its `openpgp/` folder, by the file name its URL ends
    /// in and by its fingerprint (`<FINGERPRINT>.asc`, or the 16-digit long key ID; any case; `.asc`, `.txt`, `.pub`
    /// or `.gpg`), then by those names anywhere under the folder. Only a key with the listed fingerprint is used,
    /// wherever it was found.
    public static func discover(metadataPaths: [String], explicit: Keyring?) -> ProviderKeys {
        var providers: [Provider] = []
        var problems: [String] = []
        for path in metadataPaths {
            let root = (path as NSString).deletingLastPathComponent
            guard let bytes = FileReader.readSmall(path), let metadata = try? JSONParser.parse(bytes),
                  JSONDocumentKind.classify(metadata) == .providerMetadata,
                  case .array(let keys)? = metadata["public_openpgp_keys"] else { continue }
            let name = metadata["publisher"]?["name"]?.stringValue ?? root
            var certificates: [Certificate] = []
            var beside: [String: [String]]?
            var index: [String: String]?
            for entry in keys {
                guard let fingerprint = entry["fingerprint"]?.stringValue else {
                    problems.append("\(path): a key in public_openpgp_keys has no fingerprint, so it cannot be pinned and is not used")
                    continue
                }
                let pinned = Keyring.normalise(fingerprint)
                let url = entry["url"]?.stringValue ?? ""
                let urlName = url.split(separator: "/").last.map(String.init) ?? ""
                if beside == nil { beside = keyFiles(beside: root) }
                let names = keyFileNames(urlName: urlName, fingerprint: pinned).map { $0.lowercased() }
                var found = names.flatMap { beside?[$0] ?? [] }
                if found.isEmpty {
                    if index == nil { index = fileIndex(under: root) }
                    found = names.compactMap { index?[$0] }
                }
                guard !found.isEmpty else {
                    if urlName.isEmpty {
                        problems.append("\(path): key \(pinned) has no URL, and no file named \(pinned).asc is in \(root); signatures by it cannot be checked (pass the key with --key)")
                    } else {
                        problems.append("\(path) lists key \(pinned) at \(url), but no file named \(urlName) is in \(root); signatures by it cannot be checked (pass the key with --key)")
                    }
                    continue
                }
                // The first file that holds the pinned key; a problem only when none does.
                var firstProblem: String?
                var matching: [Certificate] = []
                var tried = Set<String>()
                for keyPath in found where tried.insert(keyPath).inserted {
                    do {
                        let read = try Certificate.read(FileReader.readSmall(keyPath) ?? [])
                        matching = read.filter { $0.fingerprintHex == pinned }
                        if !matching.isEmpty { break }
                        firstProblem = firstProblem ?? "\(keyPath) holds key \(read.map(\.fingerprintHex).joined(separator: ", ")), not the \(pinned) that \(path) pins; it is not used"
                    } catch {
                        firstProblem = firstProblem ?? "\(keyPath): not a readable OpenPGP key (\(error)); signatures by \(pinned) cannot be checked"
                    }
                }
                if matching.isEmpty, let firstProblem { problems.append(firstProblem) }
                certificates += matching.filter { certificate in !certificates.contains { $0.fingerprintHex == certificate.fingerprintHex } }
            }
            guard !certificates.isEmpty else { continue }
            // Two metadata files in one folder (a mirror keeping both spellings): one provider with the keys of both.
            if let same = providers.firstIndex(where: { $0.root == root }) {
                let known = Set(providers[same].keyring.certificates.map(\.fingerprintHex))
                providers[same].keyring = Keyring(certificates: providers[same].keyring.certificates
                                                  + certificates.filter { !known.contains($0.fingerprintHex) })
            } else {
                providers.append(Provider(root: root, name: name, keyring: Keyring(certificates: certificates)))
            }
        }
        return ProviderKeys(explicit: explicit, providers: providers, problems: problems)
    }

    static let keyFileExtensions = ["asc", "txt", "pub", "gpg"]

    /// The names a key may be published under, most specific first: the file name its URL ends in (as given and
    /// URL-decoded), then its fingerprint and long key ID with each key file extension.
    static func keyFileNames(urlName: String, fingerprint: String) -> [String] {
        var names: [String] = []
        if !urlName.isEmpty {
            names.append(urlName)
            if let decoded = urlName.removingPercentEncoding, decoded != urlName { names.append(decoded) }
        }
        if !fingerprint.isEmpty {
            for stem in [fingerprint, String(fingerprint.suffix(16))] {
                names += keyFileExtensions.map { "\(stem).\($0)" }
            }
        }
        return names
    }

    /// Lower-cased file name → paths of the files in `root` and in `root/openpgp`, those in `root` first.
    static func keyFiles(beside root: String) -> [String: [String]] {
        var files: [String: [String]] = [:]
        for folder in [root, root + "/openpgp"] {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { continue }
            for name in names.sorted() where !name.hasPrefix(".") {
                files[name.lowercased(), default: []].append(folder + "/" + name)
            }
        }
        return files
    }

    /// Lower-cased file name → path for every file under `root` (skipping hidden folders), first path in sorted order
    /// wins.
    static func fileIndex(under root: String) -> [String: String] {
        var index: [String: String] = [:]
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return index }
        var paths: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let name = relative.split(separator: "/").last.map(String.init) ?? relative
            if name.hasPrefix(".") {
                enumerator.skipDescendants()
                continue
            }
            paths.append(relative)
        }
        for relative in paths.sorted() {
            let name = relative.split(separator: "/").last.map(String.init) ?? relative
            if index[name.lowercased()] == nil { index[name.lowercased()] = root + "/" + relative }
        }
        return index
    }
}

public struct KeyFileError: Error, CustomStringConvertible, Sendable {
    public var description: String
}
