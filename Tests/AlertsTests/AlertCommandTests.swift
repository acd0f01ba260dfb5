import Foundation
import Testing
import VigilTestSupport

/// The alert commands as an operator uses them: channels, watches with --notify, a test message, an import that
/// alerts, and working the alert log; against aiosmtpd.
@Suite(.serialized) struct AlertCommandTests {
    @Test("channel add, watch add --notify, alerts test, an import that emails, alerts update and show")
    func operatorFlow() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let server = try AiosmtpdServer(mode: .plain)
        defer { server.stop() }
        let db = folder.url.appendingPathComponent("vigil.sqlite").path
        let mail = ["VIGIL_SMTP_URL": "smtp://127.0.0.1:\(server.port)?starttls=never", "VIGIL_MAIL_FROM": "Vigil <vigil@plant.example>",
                    "VIGIL_BASE_URL": "https://vigil.plant.example"]
        func vigil(_ arguments: String..., environment: [String: String] = [:]) async throws -> Executables.Output {
            try await Executables.runVigil(arguments + ["--db", db], environment: environment)
        }

        let added = try await vigil("channel", "add", "--org", "Plant", "ops", "email:ops@plant.example")
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.stdout.contains("Plant: channel ops added (email:ops@plant.example, immediate)."))
        let twice = try await vigil("channel", "add", "--org", "Plant", "ops", "email:other@plant.example")
        #expect(twice.status == 1)
        #expect(twice.stderr.contains("already has a channel named ops"))
        let plain = try await vigil("channel", "add", "--org", "Plant", "soc", "webhook:http://soc.example.org/hook")
        #expect(plain.status != 0)
        #expect(plain.stderr.contains("plain HTTP"))
        let hook = try await vigil("channel", "add", "--org", "Plant", "soc", "webhook:https://soc.example.org/hook")
        #expect(hook.stdout.contains("Signing secret (shown once"))
        let unknown = try await vigil("watch", "add", "--org", "Plant", "--vendor", "Phoenix Contact", "--notify", "nobody")
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no channel named \"nobody\""))
        let watch = try await vigil("watch", "add", "--org", "Plant", "--vendor", "Phoenix Contact", "--notify", "ops")
        #expect(watch.status == 0, "\(watch.stderr)")
        #expect(watch.stdout.contains("notify ops"))

        let noMail = try await vigil("alerts", "test", "--org", "Plant", "--channel", "ops")
        #expect(noMail.status == 1)
        #expect(noMail.stderr.contains("email is not configured: set VIGIL_SMTP_URL and VIGIL_MAIL_FROM"))
        let test = try await vigil("alerts", "test", "--org", "Plant", "--channel", "ops", environment: mail)
        #expect(test.status == 0, "\(test.stderr)")
        #expect(test.stdout.contains("Test message sent to email:ops@plant.example"))
        #expect(try server.received().map(\.subject) == ["[Vigil] Test message for ops (Plant)"])

        let path = try AlertCreatorTests.freshCopy(in: folder.url)
        let imported = try await vigil("import", path, environment: mail)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("Alerts created: 1"))
        #expect(imported.stdout.contains("Alert messages delivered: 1; waiting to retry: 0; failed: 0"))
        let received = try server.received()
        #expect(received.count == 2)
        #expect(received.last?.recipients == ["ops@plant.example"])
        #expect(received.last?.subject.hasPrefix("[Vigil] CRITICAL ICSA-22-172-04") == true)
        #expect(received.last?.parts.first?.content.contains("https://vigil.plant.example/alerts/1") == true)

        let update = try await vigil("alerts", "update", "1", "--org", "Plant", "--status", "investigating", "--owner", "Jörg",
                               "--due", "2026-12-24", "--note", "checking line 2", "--actor", "jm")
        #expect(update.status == 0, "\(update.stderr)")
        #expect(update.stdout.contains("Alert 1: Investigating; owner Jörg; due 2026-12-24."))
        let badDate = try await vigil("alerts", "update", "1", "--org", "Plant", "--due", "24.12.2026")
        #expect(badDate.status == 2)
        #expect(badDate.stderr.contains("write it as YYYY-MM-DD"))
        let show = try await vigil("alerts", "show", "1", "--org", "Plant")
        #expect(show.stdout.contains("Status Investigating; owner Jörg; due 2026-12-24"))
        #expect(show.stdout.contains("to ops: DELIVERED after 1 attempt"))
        #expect(show.stdout.contains("jm  status new → investigating"))
        #expect(show.stdout.contains("jm  note: checking line 2"))
        let csv = try await vigil("alerts", "list", "--org", "Plant", "--format", "csv")
        #expect(csv.stdout.contains("investigating,Jörg,2026-12-24,ICSA-22-172-04,1,"))
        let outbox = try await vigil("alerts", "outbox", "--org", "Plant")
        #expect(outbox.stdout.contains("test to ops: DELIVERED"))
        #expect(outbox.stdout.contains("alert 1 to ops: DELIVERED"))
        let other = try await vigil("alerts", "show", "1", "--org", "Elsewhere")
        #expect(other.status == 1)
    }
}
