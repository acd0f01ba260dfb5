import Foundation
import Storage
import Store
import Testing
import VigilTestSupport
@testable import Web

/// `vigil users`, run as the real executable against a real SQLite file.
@Suite("vigil users")
struct UsersCommandTests {
    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `vigil` with `input` on standard input and a fixed base URL for the links it prints.
    func vigil(_ arguments: [String], input: String = "") async throws -> Outcome {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let inputPath = try folder.write(Array(input.utf8), to: "stdin")
        let out = folder.url.appendingPathComponent("out"), err = folder.url.appendingPathComponent("err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: try Executables.vigil())
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["VIGIL_BASE_URL"] = "https://vigil.test"
        process.environment = environment
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: inputPath))
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try await Executables.runToExit(process)
        return Outcome(status: process.terminationStatus, stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                                  stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    /// The token of the `https://vigil.test/password/TOKEN` link in the output.
    func linkToken(_ output: String) throws -> String {
        let range = try #require(output.range(of: "https://vigil.test/password/"))
        return String(output[range.upperBound...].prefix { $0.isHexDigit })
    }

    @Test("add prints a one-time link or takes a password on stdin (bcrypt, cost 12); list, reset-password and remove")
    func usersLifecycle() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let db = folder.url.appendingPathComponent("vigil.sqlite").path

        let invited = try await vigil(["users", "add", "lead@plant.example", "--org", "Plant A", "--role", "admin", "--name", "Jörg", "--db", db])
        #expect(invited.status == 0, "\(invited.stderr)")
        #expect(invited.stdout.contains("lead@plant.example is admin of Plant A (new user)."))
        let invitation = try linkToken(invited.stdout)
        #expect(invitation.count == 64)

        let short = try await vigil(["users", "add", "ops@plant.example", "--org", "Plant A", "--password-stdin", "--db", db], input: "too short\n")
        #expect(short.status == 1)
        #expect(short.stderr.contains("at least 12 characters"))
        let withPassword = try await vigil(["users", "add", "ops@plant.example", "--org", "Plant A", "--role", "viewer", "--password-stdin", "--db", db],
                                     input: "a long enough password\n")
        #expect(withPassword.status == 0, "\(withPassword.stderr)")
        #expect(!withPassword.stdout.contains("/password/"), "a user with a password gets no link")
        #expect(try await vigil(["users", "add", "not-an-email", "--org", "Plant A", "--db", db]).status != 0)

        let list = try await vigil(["users", "list", "--org", "Plant A", "--db", db])
        #expect(list.stdout.contains("lead@plant.example\tJörg\tPlant A:admin:immediate\tno password yet"))
        #expect(list.stdout.contains("ops@plant.example\t\tPlant A:viewer:immediate"))

        let reset = try await vigil(["users", "reset-password", "OPS@plant.example", "--db", db])
        #expect(reset.status == 0)
        let resetToken = try linkToken(reset.stdout)
        #expect(try await vigil(["users", "reset-password", "nobody@plant.example", "--db", db]).status == 1)

        let store = try SQLiteStore(path: db)
        let ops = try #require(try await store.user(email: "ops@plant.example"))
        let hash = try #require(ops.passwordHash)
        #expect(hash.hasPrefix("$2b$12$"), "the CLI hashes at the default cost")
        #expect(await PasswordHasher().verify("a long enough password", hash: hash))
        let lead = try #require(try await store.user(email: "lead@plant.example"))
        #expect(try await store.oneTimeToken(hash: AccountTokens.hash(invitation), purpose: .invitation, now: Date())?.userID == lead.id)
        #expect(try await store.oneTimeToken(hash: AccountTokens.hash(resetToken), purpose: .passwordReset, now: Date())?.userID == ops.id)
        #expect(try await store.oneTimeToken(hash: invitation, purpose: .invitation, now: Date()) == nil, "only the hash is stored")
        let plant = try #require(try await store.organisation(named: "Plant A", create: false))
        #expect(Set(try await store.channels(organisationID: plant.id).map(\.name)) == ["member:lead@plant.example", "member:ops@plant.example"])

        let removed = try await vigil(["users", "remove", "ops@plant.example", "--org", "Plant A", "--db", db])
        #expect(removed.stdout.contains("removed from Plant A and deleted"))
        #expect(try await store.user(email: "ops@plant.example") == nil)
        #expect(try await store.channels(organisationID: plant.id).map(\.name) == ["member:lead@plant.example"])
        #expect(try await vigil(["users", "remove", "ops@plant.example", "--org", "Plant A", "--db", db]).status == 1)
    }

    @Test("add, for an address someone signed up without confirming, removes that password and its sessions and tokens and prints a link")
    func addResetsUnconfirmedSignup() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let db = folder.url.appendingPathComponent("vigil.sqlite").path
        let store = try SQLiteStore(path: db)
        // What `--signup open` stores for a stranger who signs up with the address: their own password, unconfirmed.
        let attackerHash = try await PasswordHasher(cost: 4).hash("the attacker's own phrase")
        let signup = try await store.createUser(.init(email: "victim@plant.example", displayName: "", passwordHash: attackerHash), now: Date())
        let other = try #require(try await store.organisation(named: "Elsewhere", create: true))
        _ = try await store.setMembership(userID: signup.id, organisationID: other.id, role: .viewer, delivery: .immediate)
        try await store.createSession(SessionRecord(tokenHash: "attacker-session", userID: signup.id, organisationID: other.id, csrfToken: "c",
                                                    createdAt: Date(), expiresAt: Date().addingTimeInterval(3600), lastSeenAt: Date()))
        _ = try await store.createAPIToken(hash: "attacker-token", name: "mine", userID: signup.id, organisationID: other.id, now: Date())

        let added = try await vigil(["users", "add", "victim@plant.example", "--org", "Plant A", "--db", db])
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.stdout.contains("password was chosen at a sign-up"))
        let token = try linkToken(added.stdout)
        let user = try #require(try await store.user(email: "victim@plant.example"))
        #expect(user.passwordHash == nil, "the password the stranger chose still signs in")
        #expect(try await store.session(tokenHash: "attacker-session", now: Date(), idleTimeout: 3600) == nil)
        #expect(try await store.apiToken(hash: "attacker-token", now: Date()) == nil)
        #expect(try await store.oneTimeToken(hash: AccountTokens.hash(token), purpose: .invitation, now: Date())?.userID == user.id)

        // A user who confirmed their address, or whose password an administrator set, keeps it when added elsewhere.
        let again = try await vigil(["users", "add", "ops@plant.example", "--org", "Plant A", "--password-stdin", "--db", db],
                                    input: "a long enough password\n")
        #expect(again.status == 0)
        let moved = try await vigil(["users", "add", "ops@plant.example", "--org", "Elsewhere", "--db", db])
        #expect(!moved.stdout.contains("/password/"))
        #expect(try await store.user(email: "ops@plant.example")?.passwordHash != nil)
    }
}
