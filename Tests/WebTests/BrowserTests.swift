import Foundation
import Sources
import Storage
import Store
import Testing
import VigilTestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Runs the real `vigil serve` and loads its advisory page in headless Chromium, then reads the rendered DOM.
@Suite("Real browser", .serialized)
struct BrowserTests {
    @Test("Headless Chromium renders every section of the advisory page, in order, with no external resources")
    func advisoryPageInChromium() async throws {
        let chromium = try Executables.find("chromium", hint: "install Debian's chromium (apt-get install chromium); scripts/test does")
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("vigil.sqlite").path
        _ = try await Fixtures.store(importing: [try Fixtures.cisaAdvisory], at: database)

        let server = try await VigilServer.start(database: database)
        defer { server.stop() }
        let dom = try Executables.run(chromium, arguments: [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--user-data-dir=\(directory.appendingPathComponent("chromium").path)",
            "--dump-dom", "\(server.baseURL)/advisories/ICSA-22-172-04",
        ])
        #expect(dom.contains("<h1 id=\"advisory-title\">Phoenix Contact ProConOS and MULTIPROG</h1>"))
        let sections = ["overview", "risk-summary", "cves", "remediations", "vendors", "products", "sectors", "integrity",
                        "revisions", "acknowledgments", "references", "raw"]
        var position = dom.startIndex
        for section in sections {
            let found = dom.range(of: "id=\"\(section)\"", range: position..<dom.endIndex)
            #expect(found != nil, "section \(section) missing or out of order in the rendered DOM")
            if let found { position = found.upperBound }
        }
        let text = dom.replacingOccurrences(of: "<[^>]+>", with: " ", options: .regularExpression)
            .replacingOccurrences(of: "\\s+", with: " ", options: .regularExpression)
        for phrase in ["← Back to advisories", "View on CISA ↗", "CVSS 9.8 CRITICAL", "Risk Summary", "CVEs (1)",
                       "CVE-2022-31801", "CWE-345", "Remediations (7)", "Affected Vendors", "Phoenix Contact",
                       "Affected Products (3)", "MULTIPROG vers:all/*", "ProConoS eCLR vers:all/*", "Affected Sectors",
                       "Multiple Sectors", "Revision history", "Acknowledgments", "References", "CSAF JSON"] {
            #expect(text.contains(phrase), "the rendered page lacks \"\(phrase)\"")
        }
        #expect(!dom.contains("<script"), "the page needs no JavaScript")
        #expect(dom.range(of: "(src|href)=\"https?://[^\"]+\\.(css|js|woff2?)\"", options: .regularExpression) == nil,
                "the page loads an external asset")
    }
}

extension Fixtures {
    /// Imports into a store at a given path (for a server process to open afterwards).
    static func store(importing paths: [String], at database: String) async throws -> SQLiteStore {
        let store = try SQLiteStore(path: database)
        let summary = try await Sources.LocalImporter().run(paths: paths, into: store)
        #expect(summary.new == paths.count)
        return store
    }
}

/// A `vigil serve` child process on a free loopback port.
struct VigilServer {
    let process: Process
    let baseURL: String

    static func start(database: String) async throws -> VigilServer {
        let port = try LoopbackPort.free()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Executables.vigil())
        process.arguments = ["serve", "--db", database, "--host", "127.0.0.1", "--port", "\(port)", "--log-level", "warning"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let server = VigilServer(process: process, baseURL: "http://127.0.0.1:\(port)")
        for _ in 0..<100 {
            if let url = URL(string: server.baseURL + "/healthz"),
               let (_, response) = try? await URLSession.shared.data(from: url),
               (response as? HTTPURLResponse)?.statusCode == 200 {
                return server
            }
            guard process.isRunning else { throw TestSetupError("vigil serve exited with status \(process.terminationStatus)") }
            try await Task.sleep(for: .milliseconds(100))
        }
        server.stop()
        throw TestSetupError("vigil serve did not answer on \(server.baseURL) within 10 s")
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// A port the kernel says is free right now.
}
