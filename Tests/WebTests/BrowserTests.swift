import Foundation
import Matching
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

extension BrowserTests {
    @Test("Headless Chromium renders the dashboard's charts as accessible SVG with their numbers, with no script and no external resources")
    func dashboardInChromium() async throws {
        let chromium = try Executables.find("chromium", hint: "install Debian's chromium (apt-get install chromium); scripts/test does")
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("vigil.sqlite").path
        let store = try await Fixtures.store(importing: [try Fixtures.cisaAdvisory], at: database)
        let plant = try #require(try await store.organisation(named: "Plant", create: true))
        _ = try await store.importAssets([AssetDraft(externalID: "PLC-7", vendor: "Phoenix Contact", product: "MULTIPROG", version: "5.50",
                                                     site: "Hamburg")], organisationID: plant.id, replace: false)
        #expect(try await store.createAlert(.init(organisationID: plant.id, advisoryID: "ICSA-22-172-04", advisoryVersion: "1",
                                                  idempotencyKey: "browser", changes: ["new advisory"], matches: [])))
        await store.close()

        let server = try await VigilServer.start(database: database, arguments: ["--org", "Plant", "--no-sync"])
        defer { server.stop() }
        let profile = "--user-data-dir=\(directory.appendingPathComponent("chromium").path)"
        let dom = try Executables.run(chromium, arguments: [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", profile,
            "--dump-dom", "\(server.baseURL)/dashboard",
        ])
        // Every chart is an image with a title and a description, followed by its numbers.
        let charts = dom.components(separatedBy: "<svg").count - 1
        #expect(charts >= 5, "\(charts) charts")
        #expect(dom.components(separatedBy: "role=\"img\"").count - 1 >= charts)
        #expect(dom.components(separatedBy: "aria-labelledby=").count - 1 >= charts)
        #expect(dom.contains("The numbers"))
        // The organisation's open alert and its exposed PLC's site are counted.
        let text = dom.replacingOccurrences(of: "<[^>]+>", with: " ", options: .regularExpression)
            .replacingOccurrences(of: "\\s+", with: " ", options: .regularExpression)
        #expect(text.contains("Hamburg"))
        #expect(!dom.contains("<script"), "the page needs no JavaScript")
        #expect(dom.range(of: "(src|href)=\"https?://", options: .regularExpression) == nil, "the page loads something from outside")
        // Chromium draws it (a screenshot of the charts, not blank).
        let shot = directory.appendingPathComponent("dashboard.png").path
        _ = try Executables.run(chromium, arguments: [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", profile,
            "--window-size=1000,1400", "--screenshot=\(shot)", "\(server.baseURL)/dashboard",
        ])
        let size = (try FileManager.default.attributesOfItem(atPath: shot)[.size] as? Int) ?? 0
        #expect(size > 20_000, "the screenshot has \(size) bytes")
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
    let process: ChildProcess
    let baseURL: String

    static func start(database: String, arguments extra: [String] = []) async throws -> VigilServer {
        let port = try LoopbackPort.free()
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: try Executables.vigil())
        process.arguments = ["serve", "--db", database, "--host", "127.0.0.1", "--port", "\(port)", "--log-level", "warning"] + extra
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
