import CSAF
import Foundation
import OpenPGP

/// The OpenPGP keys that documents on disk are checked against: keys named with `--key` (trusted for every file), and
/// for each provider folder found (a folder holding `provider-metadata.json`), the keys its metadata lists under
/// `public_openpgp_keys`, read from the key files in that folder and pinned to the listed fingerprints.
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

    /// Finds the provider metadata files among `metadataPaths` and loads the keys they list from the files beside them.
    public static func discover(metadataPaths: [String], explicit: Keyring?) -> ProviderKeys {
        var providers: [Provider] = []
        var problems: [String] = []
        for path in metadataPaths {
            let root = (path as NSString).deletingLastPathComponent
            guard let bytes = FileReader.readSmall(path), let metadata = try? JSONParser.parse(bytes),
                  case .array(let keys)? = metadata["public_openpgp_keys"] else { continue }
            let name = metadata["publisher"]?["name"]?.stringValue ?? root
            var certificates: [Certificate] = []
            var index: [String: String]?
            for entry in keys {
                guard let fingerprint = entry["fingerprint"]?.stringValue else {
                    problems.append("\(path): a key in public_openpgp_keys has no fingerprint, so it cannot be pinned and is not used")
                    continue
                }
                let pinned = Keyring.normalise(fingerprint)
                let url = entry["url"]?.stringValue ?? ""
                let fileName = url.split(separator: "/").last.map(String.init) ?? ""
                guard !fileName.isEmpty else {
                    problems.append("\(path): key \(pinned) has no URL to find its file by")
                    continue
                }
                var keyPath = root + "/" + fileName
                if !FileManager.default.fileExists(atPath: keyPath) {
                    if index == nil { index = fileIndex(under: root) }
                    guard let found = index?[fileName] else {
                        problems.append("\(path) lists key \(pinned) at \(url), but no file named \(fileName) is in \(root); signatures by it cannot be checked (pass the key with --key)")
                        continue
                    }
                    keyPath = found
                }
                do {
                    let read = try Certificate.read(FileReader.readSmall(keyPath) ?? [])
                    let matching = read.filter { $0.fingerprintHex == pinned }
                    if matching.isEmpty {
                        problems.append("\(keyPath) holds key \(read.map(\.fingerprintHex).joined(separator: ", ")), not the \(pinned) that \(path) pins; it is not used")
                    }
                    certificates += matching
                } catch {
                    problems.append("\(keyPath): not a readable OpenPGP key (\(error)); signatures by \(pinned) cannot be checked")
                }
            }
            if !certificates.isEmpty {
                providers.append(Provider(root: root, name: name, keyring: Keyring(certificates: certificates)))
            }
        }
        return ProviderKeys(explicit: explicit, providers: providers, problems: problems)
    }

    /// File name → path for every file under `root` (skipping hidden folders), first path in sorted order wins.
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
            if index[name] == nil { index[name] = root + "/" + relative }
        }
        return index
    }
}

public struct KeyFileError: Error, CustomStringConvertible, Sendable {
    public var description: String
}
