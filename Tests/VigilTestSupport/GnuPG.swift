import Foundation

/// Debian's `gpg` with a throwaway home folder: the reference implementation the native verifier is checked against.
/// Used by one test at a time; its state is the home folder on disk.
public final class GnuPG: @unchecked Sendable {
    public let home: TemporaryFolder
    let gpg: String

    public init() throws {
        gpg = try Executables.find("gpg", hint: "install Debian's gnupg (`apt-get install gnupg`); scripts/test does")
        home = try TemporaryFolder()
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: home.path)
    }

    deinit {
        // Stop the agent this home started, then remove the folder.
        if let gpgconf = try? Executables.find("gpgconf", hint: "") {
            let process = ChildProcess()
            process.executableURL = URL(fileURLWithPath: gpgconf)
            process.arguments = ["--homedir", home.path, "--kill", "gpg-agent"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            if (try? process.run()) != nil { process.waitUntilExit() }
        }
        home.remove()
    }

    /// Runs gpg with this home; returns standard output. `fakedTime` is `YYYYMMDDThhmmss`.
    @discardableResult
    public func run(_ arguments: [String], input: [UInt8]? = nil, fakedTime: String? = nil, allowFailure: Bool = false) throws -> [UInt8] {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: gpg)
        var prefix = ["--homedir", home.path, "--batch", "--no-tty", "--yes", "--pinentry-mode", "loopback", "--passphrase", ""]
        if let fakedTime { prefix += ["--faked-system-time", fakedTime + "!", "--ignore-time-conflict"] }
        process.arguments = prefix + arguments
        let output = Pipe(), errors = Pipe(), stdin = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input)) }
        try? stdin.fileHandleForWriting.close()
        // Read both pipes to their end concurrently enough: stderr is small, read it after stdout.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if process.terminationStatus != 0, !allowFailure {
            throw TestSetupError("gpg \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(errorText)")
        }
        return [UInt8](data)
    }

    /// Creates a key and returns its fingerprint. `algorithm` as gpg names it: rsa2048, ed25519, nistp256, …
    public func generateKey(_ uid: String, algorithm: String, usage: String = "sign", expire: String = "never", fakedTime: String? = nil) throws -> String {
        try run(["--quick-gen-key", uid, algorithm, usage, expire], fakedTime: fakedTime)
        return try fingerprint(of: uid)
    }

    public func fingerprint(of uid: String) throws -> String {
        let listing = String(decoding: try run(["--with-colons", "--fingerprint", uid]), as: UTF8.self)
        guard let line = listing.split(separator: "\n").first(where: { $0.hasPrefix("fpr:") }),
              let fpr = line.split(separator: ":", omittingEmptySubsequences: false).dropFirst(9).first else {
            throw TestSetupError("no fingerprint for \(uid) in: \(listing)")
        }
        return String(fpr)
    }

    /// The fingerprints of every subkey of a key, in order.
    public func subkeyFingerprints(of fingerprint: String) throws -> [String] {
        let listing = String(decoding: try run(["--with-colons", "--with-subkey-fingerprints", "--list-keys", fingerprint]), as: UTF8.self)
        var result: [String] = []
        var inSubkey = false
        for line in listing.split(separator: "\n") {
            if line.hasPrefix("sub:") { inSubkey = true; continue }
            if line.hasPrefix("fpr:"), inSubkey {
                result.append(String(line.split(separator: ":", omittingEmptySubsequences: false)[9]))
                inSubkey = false
            }
        }
        return result
    }

    public func export(_ fingerprint: String, armored: Bool) throws -> [UInt8] {
        try run((armored ? ["--armor"] : []) + ["--export", fingerprint])
    }

    /// A detached signature over `data`.
    public func sign(_ data: [UInt8], with key: String, armored: Bool, digest: String = "SHA256", textMode: Bool = false,
              fakedTime: String? = nil) throws -> [UInt8] {
        let file = try home.write(data, to: "data-\(UUID().uuidString)")
        let signature = file + ".sig"
        var arguments = ["--local-user", key + "!", "--digest-algo", digest, "--output", signature]
        if armored { arguments.append("--armor") }
        if textMode { arguments.append("--textmode") }
        try run(arguments + ["--detach-sign", file], fakedTime: fakedTime)
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: signature)))
    }

    /// Imports the revocation certificate gpg wrote when it made the key: the key becomes revoked (no reason given).
    public func revoke(_ fingerprint: String) throws {
        let path = home.url.appendingPathComponent("openpgp-revocs.d/\(fingerprint).rev").path
        var text = try String(contentsOfFile: path, encoding: .utf8)
        // gpg prefixes the BEGIN line with a colon so that an accidental import does nothing.
        text = text.replacingOccurrences(of: ":-----BEGIN PGP PUBLIC KEY BLOCK-----", with: "-----BEGIN PGP PUBLIC KEY BLOCK-----")
        try run(["--import"], input: Array(text.utf8))
    }
}
