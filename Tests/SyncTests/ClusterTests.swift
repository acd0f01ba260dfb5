import CSAF
import Foundation
import Storage
import Store
import Testing
import VigilTestSupport

/// Three `vigil serve --role worker` processes on one PostgreSQL database, a loopback CSAF provider (CISA's real
/// documents) and a loopback SMTP server. The worker polling the provider is killed with SIGKILL mid-sync; the other
/// two take its source over once its lease lapses and finish: every advisory stored once, every alert created once and
/// mailed, and an email sent twice only if the killed worker had it in flight.
@Suite(.serialized) struct ClusterTests {
    static let documentCount = 120

    @Test func threeWorkersOneKilledMidSync() async throws {
        let url = try PostgresServer.shared().makeDatabase(prefix: "cluster")
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let folderURL = folder.url
        let smtp = try MessageIDCatcher(folder: folderURL)
        defer { smtp.stop() }

        let documents = try FileManager.default.contentsOfDirectory(atPath: try SharedData.url("providers/cisa/csaf_files/OT/white/2019").path)
            .filter { $0.hasSuffix(".json") }.sorted().prefix(Self.documentCount).map { "csaf_files/OT/white/2019/" + $0 }
        #expect(documents.count == Self.documentCount)
        let mirror = try ProviderMirror.cisa()
        mirror.only(Set(documents))
        // Published now (dates rewritten, so they are news rather than backfill), hashed and signed with a test key.
        let gpg = try GnuPG()
        let key = try gpg.generateKey("Vigil cluster test <keys@example.invalid>", algorithm: "ed25519")
        let now = ISO8601DateFormatter().string(from: Date())
        for path in documents {
            let original = try #require(mirror.content(path))
            var object = try #require(try JSONSerialization.jsonObject(with: Data(original)) as? [String: Any])
            var head = try #require(object["document"] as? [String: Any])
            var tracking = try #require(head["tracking"] as? [String: Any])
            tracking["initial_release_date"] = now
            tracking["current_release_date"] = now
            head["tracking"] = tracking
            object["document"] = head
            let fresh = [UInt8](try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
            let name = String(path.split(separator: "/").last!)
            mirror.set(path, fresh)
            mirror.set(path + ".sha512", ProviderSyncTests.sha512Sidecar(fresh, name: name))
            mirror.set(path + ".asc", try gpg.sign(fresh, with: key, armored: true, digest: "SHA512"))
        }
        mirror.set("test-key.asc", try gpg.export(key, armored: true))
        mirror.addKey(fingerprint: key, path: "test-key.asc")

        try await mirror.run { mirror in
            let store = try await PostgresStore(url: url)
            // No built-in catalogue: the workers must only reach the loopback provider.
            _ = try await store.seedSourcesOnce([])
            try await store.saveSource(SourceRecord(slug: "cisa", name: "CISA", url: mirror.metadataURL, pollInterval: 3600))
            let watch = try await Executables.runVigil(["watch", "add", "--db", url, "--org", "plant", "--publisher", "CISA",
                                                  "--notify", "email:ot-security@plant.example"])
            #expect(watch.status == 0, "\(watch.stderr)")

            let environment = ["VIGIL_SMTP_URL": "smtp://127.0.0.1:\(smtp.port)", "VIGIL_MAIL_FROM": "vigil@plant.example"]
            var workers = try (0..<3).map { index in
                try Worker(index: index, url: url, folder: folderURL, environment: environment)
            }
            defer { for worker in workers { worker.kill() } }

            // Wait until the polling worker has stored part of the feed, then kill it.
            var victim: Worker?
            var inFlightAtKill = 0
            for _ in 0..<600 {
                let stored = try await store.fetchValue("SELECT COUNT(*) FROM documents", as: Int.self) ?? 0
                if stored >= 20, stored < Self.documentCount,
                   let holder = try await store.fetchValue("SELECT holder FROM source_leases WHERE slug = 'cisa'", as: String.self),
                   let pid = holder.split(separator: ":").dropFirst().first.flatMap({ Int32($0) }),
                   let worker = workers.first(where: { $0.pid == pid }) {
                    worker.kill()
                    victim = worker
                    inFlightAtKill = try await store.fetchValue("SELECT COUNT(*) FROM deliveries WHERE status = 'sending'", as: Int.self) ?? 0
                    break
                }
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            let killed = try #require(victim, "the poll never got under way; worker logs: \(workers.map(\.log).joined(separator: "\n"))")
            let storedAtKill = try await store.fetchValue("SELECT COUNT(*) FROM documents", as: Int.self) ?? 0
            #expect(storedAtKill < Self.documentCount, "the sync had finished before the kill")
            workers.removeAll { $0.pid == killed.pid }

            // The survivors finish: everything stored, alerted and delivered.
            var finished = false
            for _ in 0..<1200 {
                let stored = try await store.fetchValue("SELECT COUNT(*) FROM advisories", as: Int.self) ?? 0
                let alerts = try await store.fetchValue("SELECT COUNT(*) FROM alerts", as: Int.self) ?? 0
                let open = try await store.fetchValue("SELECT COUNT(*) FROM deliveries WHERE status <> 'delivered'", as: Int.self) ?? 0
                if stored == Self.documentCount, alerts == Self.documentCount, open == 0 { finished = true; break }
                try await Task.sleep(nanoseconds: 200_000_000)
            }
            #expect(finished, "worker logs: \(workers.map(\.log).joined(separator: "\n"))")

            // Once each: one document, one journal entry and one alert per advisory, one delivery per alert.
            #expect(try await store.fetchValue("SELECT COUNT(*) FROM documents", as: Int.self) == Self.documentCount)
            #expect(try await store.fetchValue("SELECT COUNT(*) FROM advisory_changes", as: Int.self) == Self.documentCount)
            #expect(try await store.fetchValue("SELECT COUNT(DISTINCT advisory_id) FROM alerts", as: Int.self) == Self.documentCount)
            #expect(try await store.fetchValue("SELECT COUNT(*) FROM deliveries", as: Int.self) == Self.documentCount)
            #expect(try await store.fetchValue("SELECT COUNT(*) FROM deliveries WHERE attempts > 1", as: Int.self) ?? 0 <= inFlightAtKill)
            // The source was finished by a survivor.
            let source = try #require(try await store.source(slug: "cisa"))
            #expect(source.lastError == nil)
            #expect(source.lastSuccess != nil)
            #expect(try await store.fetchValue("SELECT COUNT(*) FROM documents WHERE integrity = 'verified'", as: Int.self) == Self.documentCount)

            // Every alert mailed; a second copy only of what the killed worker was sending (at-least-once email).
            let received = try smtp.messageIDs()
            let distinct = Set(received)
            #expect(distinct.count == Self.documentCount)
            #expect(received.count - distinct.count <= inFlightAtKill)
            await store.close()
        }
    }
}

/// One `vigil serve --role worker` process.
final class Worker: @unchecked Sendable {
    let process = ChildProcess()
    let logURL: URL
    var pid: Int32 { process.processIdentifier }

    init(index: Int, url: String, folder: URL, environment: [String: String]) throws {
        logURL = folder.appendingPathComponent("worker-\(index).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: try Executables.vigil())
        process.arguments = ["serve", "--role", "worker", "--db", url, "--lease", "10s", "--log-level", "warning"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let log = try FileHandle(forWritingTo: logURL)
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)).map { "[\(pid)] " + $0.suffix(3000) } ?? "" }

    func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// The shared `SMTPPeer` (aiosmtpd) on a free loopback port; the tests read each message's Message-ID.
final class MessageIDCatcher: @unchecked Sendable {
    let port: Int
    private let peer: SMTPPeer

    init(folder: URL) throws {
        peer = try SMTPPeer(folder: folder)
        port = peer.port
    }

    func messageIDs() throws -> [String] {
        try peer.received().map(\.messageID)
    }

    func stop() { peer.stop() }
}
