import CSAF
import Foundation
import Sources
import Storage
import Store
import Testing
import VigilTestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The README's two commands on a fresh clone: the offline sample that `vigil serve --import sample` shows, the
/// screenshots made from it, and the test command's installer.
@Suite("Quick start", .serialized)
struct QuickStartTests {
    static let sample = Executables.packageRoot.appendingPathComponent("sample").path

    @Test("the shipped sample imports with every CISA document verified and every integrity status represented")
    func sampleImports() async throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(path: directory.appendingPathComponent("vigil.sqlite").path)
        let summary = try await LocalImporter().run(paths: [Self.sample], into: store)
        #expect(summary.new == 42)
        #expect(summary.historical == 8, "the earlier revisions go into history")
        #expect(summary.rejected == 3)
        #expect(summary.conflicts.isEmpty)
        #expect(summary.integrity == [
            "verified": 45, "hash-only": 3, "signature-unchecked": 1, "unsigned": 1,
            "hash-mismatch": 1, "bad-signature": 1, "unknown-key": 1,
        ])
        #expect(summary.keyProblems.isEmpty, "\(summary.keyProblems)")
        // Each rejected file is the example of its folder, with that reason.
        let quarantined = try await store.quarantined(limit: 10)
        #expect(Set(quarantined.map { ($0.origin as NSString).deletingLastPathComponent.components(separatedBy: "/").last ?? "" })
                == ["hash-mismatch", "bad-signature", "unknown-key"])
        for document in quarantined {
            #expect(document.origin.contains("/\(document.code)/"), "\(document.origin) was rejected as \(document.code)")
        }
        // Every document CISA published here verified with CISA's key, current and earlier revisions alike.
        let cisa = try FileManager.default.subpathsOfDirectory(atPath: Self.sample + "/cisa")
            .filter { $0.hasSuffix(".json") && $0 != "provider-metadata.json" }
        #expect(cisa.count == 45)
        let chirp = try #require(try await store.advisory(id: "ICSA-24-067-01"))
        #expect(chirp.revisions.map(\.version) == ["4", "3", "2", "1"])
        #expect(chirp.revisions.allSatisfy { $0.integrity == .verified && $0.signer == "144AED0A57BE7D4AE835D9D8CAC5AC4F74164B17" })
        let page = try await store.search(AdvisoryQuery())
        #expect(page.total == 42)
        // Importing it again changes nothing.
        let again = try await LocalImporter().run(paths: [Self.sample], into: store)
        #expect(again.new == 0 && again.updated == 0 && again.unchanged + again.historical == 50)
        await store.close()
    }

    @Test("`vigil serve --import sample`, offline: the seed advisory page renders every section from the sample")
    func servesTheSample() async throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = try LoopbackPort.free()
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: try Executables.vigil())
        process.currentDirectoryURL = Executables.packageRoot
        // The README's run command, with a database and port of the test's own and no polling (no network in tests).
        process.arguments = ["serve", "--import", "sample", "--db", directory.appendingPathComponent("vigil.sqlite").path,
                             "--port", "\(port)", "--no-sync", "--log-level", "warning"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { process.terminate(); process.waitUntilExit() }
        let base = "http://127.0.0.1:\(port)"
        var page: String?
        for _ in 0..<600 where page == nil {
            if let url = URL(string: base + "/advisories/ICSA-22-172-04"),
               let (data, response) = try? await URLSession.shared.data(from: url),
               (response as? HTTPURLResponse)?.statusCode == 200 {
                page = String(decoding: data, as: UTF8.self)
                break
            }
            guard process.isRunning else { throw TestSetupError("vigil serve --import sample exited with status \(process.terminationStatus)") }
            try await Task.sleep(for: .milliseconds(100))
        }
        let html = try #require(page, "the server did not answer within a minute")
        var position = html.startIndex
        for section in ["overview", "risk-summary", "cves", "remediations", "vendors", "products", "sectors", "integrity",
                        "revisions", "acknowledgments", "references", "raw"] {
            let found = html.range(of: "id=\"\(section)\"", range: position..<html.endIndex)
            #expect(found != nil, "section \(section) missing or out of order")
            if let found { position = found.upperBound }
        }
        #expect(html.contains("verified"))
        // An advisory with earlier revisions in the sample holds each one's document, verified.
        let (data, _) = try await URLSession.shared.data(from: try #require(URL(string: base + "/advisories/ICSA-22-356-03")))
        let revised = String(decoding: data, as: UTF8.self)
        let stored = try #require(revised.range(of: "<h3>Stored documents</h3>")).upperBound
        let end = revised.range(of: "</ul>", range: stored..<revised.endIndex)?.lowerBound ?? revised.endIndex
        let list = String(revised[stored..<end])
        for version in 2...6 {
            #expect(list.contains(">version \(version)</a>"), "stored revision \(version) missing from the page")
        }
        #expect(list.components(separatedBy: " · verified").count - 1 == 5)
        // The quarantine shows the three examples with their reasons.
        let (quarantine, _) = try await URLSession.shared.data(from: try #require(URL(string: base + "/quarantine")))
        let text = String(decoding: quarantine, as: UTF8.self)
        for code in ["hash-mismatch", "bad-signature", "unknown-key"] { #expect(text.contains(code)) }
    }

    @Test("with no network at all, the README's run command (polling on) serves the sample and marks the sources unreachable")
    func servesWithoutNetwork() throws {
        // A network namespace of its own: a loopback interface and nothing else, so every name fails to resolve.
        let probe = try Shell.run(["unshare", "-rn", "true"], environment: [:])
        guard probe.status == 0 else {
            throw TestSetupError("unshare -rn (util-linux, user namespaces) cannot make a network namespace here: \(probe.output)")
        }
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = """
            ip link set lo up 2>/dev/null || true
            "$VIGIL" serve --import sample --db "$DB" --port 8080 >"$LOG" 2>&1 &
            for _ in $(seq 600); do curl -sf http://127.0.0.1:8080/ -o "$OUT/list.html" && break; sleep 0.1; done
            # The scheduler's first pass: every enabled source fails to resolve and is shown as unreachable.
            for _ in $(seq 600); do
              curl -sf http://127.0.0.1:8080/api/v1/sources -o "$OUT/sources.json"
              python3 -c 'import json,sys; s=[x for x in json.load(open(sys.argv[1])) if x.get("enabled")]; sys.exit(0 if s and all(x.get("health") in ("unreachable","degraded") for x in s) else 1)' "$OUT/sources.json" && break
              sleep 0.2
            done
            kill %1; wait
            """
        let result = try Shell.run(["unshare", "-rn", "bash", "-c", script], environment: [
            "VIGIL": try Executables.vigil(), "DB": directory.appendingPathComponent("vigil.sqlite").path,
            "LOG": directory.appendingPathComponent("serve.log").path, "OUT": directory.path,
        ])
        let log = (try? String(contentsOf: directory.appendingPathComponent("serve.log"), encoding: .utf8)) ?? ""
        let list = try String(contentsOf: directory.appendingPathComponent("list.html"), encoding: .utf8)
        #expect(list.contains("42 advisories"), "\(result.output)\n\(log)")
        let sources = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("sources.json")))
        let enabled = (sources as? [[String: Any]] ?? []).filter { $0["enabled"] as? Bool == true }
        #expect(enabled.count > 10, "the built-in catalogue is followed")
        for source in enabled {
            #expect(["unreachable", "degraded"].contains(source["health"] as? String), "\(source)")
        }
    }

    @Test("the README's screenshots show what the current build renders (their text, in docs/images/*.txt)")
    func screenshotText() throws {
        _ = try Executables.find("chromium", hint: "install Debian's chromium (apt-get install chromium); scripts/test does")
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try Shell.run(["bash", "scripts/screenshot.sh", "--text-only", directory.path],
                                   environment: ["VIGIL": try Executables.vigil()])
        #expect(result.status == 0, "scripts/screenshot.sh failed: \(result.output)")
        let images = Executables.packageRoot.appendingPathComponent("docs/images")
        let expected = try FileManager.default.contentsOfDirectory(atPath: images.path).filter { $0.hasSuffix(".txt") }.sorted()
        #expect(expected == ["advisory-list.txt", "advisory-page.txt", "alerts.txt", "exposures.txt"])
        for name in expected {
            let committed = try String(contentsOf: images.appendingPathComponent(name), encoding: .utf8)
            let rendered = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            #expect(rendered == committed, """
                docs/images/\(name.replacingOccurrences(of: ".txt", with: ".png")) no longer shows what the build renders; \
                run scripts/screenshot.sh and commit docs/images. First difference: \(Shell.firstDifference(committed, rendered))
                """)
        }
    }

    @Test("the test command's installer: a fresh virtual environment gets every Python peer, and says what it cannot install")
    func installer() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // A PATH without the peers: only the system's folders and a folder holding python3 (not the checkout's .venv).
        let python = try Shell.systemPython()
        let bin = directory.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: bin.appendingPathComponent("python3").path, withDestinationPath: python)
        let path = "\(bin.path):/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

        // Debian packages it may not install: it names them and the command, and stops.
        let refused = try Shell.run(["bash", "scripts/test", "--install-only"], environment: [
            "PATH": path, "VIGIL_VENV": directory.appendingPathComponent("unused").path, "VIGIL_INSTALL_DEBIAN": "never",
            "VIGIL_TEST_DEBIAN_PACKAGES": "coreutils vigil-no-such-package",
        ])
        #expect(refused.status == 1)
        #expect(refused.output.contains("missing Debian packages: vigil-no-such-package\n"), "\(refused.output)")
        #expect(refused.output.contains("run: sudo apt-get install -y vigil-no-such-package"), "\(refused.output)")

        // PyPI out of reach: it says which packages it could not install, and runs nothing.
        let offline = try Shell.run(["bash", "scripts/test", "--install-only"], environment: [
            "PATH": path, "VIGIL_VENV": directory.appendingPathComponent("offline").path, "VIGIL_TEST_DEBIAN_PACKAGES": "coreutils",
            "PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_RETRIES": "0", "PIP_TIMEOUT": "2", "PIP_NO_CACHE_DIR": "1",
        ])
        #expect(offline.status == 1)
        #expect(offline.output.contains("could not install the Python packages jsonschema referencing univers aiosmtpd schemathesis prometheus-client selenium into"),
                "\(offline.output)")

        // Reachable (CI installs the same packages just before, so pip's cache holds them): a new virtual environment
        // gets every peer, and a second run finds nothing missing.
        let venv = directory.appendingPathComponent("venv")
        let installed = try Shell.run(["bash", "scripts/test", "--install-only"], environment: [
            "PATH": path, "VIGIL_VENV": venv.path, "VIGIL_TEST_DEBIAN_PACKAGES": "coreutils",
        ])
        #expect(installed.status == 0, "\(installed.output)")
        #expect(installed.output.contains("making the virtual environment \(venv.path)"))
        #expect(installed.output.contains("installing Python packages into \(venv.path): jsonschema referencing univers aiosmtpd schemathesis prometheus-client selenium"))
        #expect(installed.output.contains("installing axe-playwright-python into \(venv.path) (without its dependencies: only its files are used)"))
        let imports = try Shell.run([venv.appendingPathComponent("bin/python3").path, "-c",
                                     "import jsonschema, referencing, univers, aiosmtpd, schemathesis, prometheus_client, selenium, importlib.util, os; "
                                     + "spec = importlib.util.find_spec('axe_playwright_python'); "
                                     + "assert os.path.exists(os.path.join(list(spec.submodule_search_locations)[0], 'axe.min.js'))"],
                                    environment: ["PATH": path])
        #expect(imports.status == 0, "\(imports.output)")
        let again = try Shell.run(["bash", "scripts/test", "--install-only"], environment: [
            "PATH": path, "VIGIL_VENV": venv.path, "VIGIL_TEST_DEBIAN_PACKAGES": "coreutils",
        ])
        #expect(again.status == 0)
        #expect(!again.output.contains("installing"), "\(again.output)")
        #expect(again.output.contains("test peers present"))
    }
}

/// Runs a program from the package root and collects its output.
enum Shell {
    struct Result {
        var status: Int32
        var output: String
    }

    static func run(_ arguments: [String], environment: [String: String]) throws -> Result {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: arguments[0].hasPrefix("/") ? arguments[0] : try Executables.find(arguments[0], hint: "install \(arguments[0])"))
        process.arguments = Array(arguments.dropFirst())
        process.currentDirectoryURL = Executables.packageRoot
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    /// A python3 outside the checkout's virtual environment (the one a fresh machine has).
    static func systemPython() throws -> String {
        let venv = Executables.packageRoot.appendingPathComponent(".venv").path
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
        where !directory.hasPrefix(venv) && !(ProcessInfo.processInfo.environment["VIRTUAL_ENV"].map { directory.hasPrefix($0) } ?? false) {
            let path = "\(directory)/python3"
            guard FileManager.default.isExecutableFile(atPath: path) else { continue }
            // pyenv's shims and the like resolve to the interpreter itself.
            let real = try run([path, "-c", "import sys; print(sys.executable)"], environment: [:])
            if real.status == 0 { return real.output.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        throw TestSetupError("python3 is not installed outside the checkout's .venv")
    }

    /// The first line where two texts differ, quoted from each.
    static func firstDifference(_ a: String, _ b: String) -> String {
        let left = a.components(separatedBy: "\n"), right = b.components(separatedBy: "\n")
        for index in 0..<max(left.count, right.count) {
            let l = index < left.count ? left[index] : "(end)", r = index < right.count ? right[index] : "(end)"
            if l != r { return "line \(index + 1): committed \"\(l)\", rendered \"\(r)\"" }
        }
        return "none"
    }
}
