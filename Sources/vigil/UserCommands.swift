import ArgumentParser
import Foundation
import Storage
import Store
import Web

/// `vigil users add|list|reset-password|remove`: the people who sign in to the web interface.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "Add, list and remove the people who sign in, and reset their passwords.",
        discussion: """
            Once any user exists, the organisation pages (/exposures, /assets, /alerts) need signing in and show the \
            signed-in user's organisation; until then they show the organisation of vigil serve --org.
            """,
        subcommands: [Add.self, List.self, ResetPassword.self, Remove.self])

    /// Where links printed for people start: `$VIGIL_BASE_URL`, else the default address of `vigil serve`.
    static var baseURL: String {
        ProcessInfo.processInfo.environment["VIGIL_BASE_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://127.0.0.1:8080"
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a user to an organisation (creating either if needed), or change their role there.",
            discussion: "Without --password-stdin, prints a one-time link (valid 24 hours) where the user sets their password.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The user's email address; they sign in with it.") var email: String
        @Option(help: ArgumentHelp("The organisation.", valueName: "name")) var org: String
        @Option(help: "admin (manages members), member (works alerts and watches) or viewer (reads only).") var role = "member"
        @Option(help: ArgumentHelp("The name shown for the user.", valueName: "name")) var name: String?
        @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input (one line) instead of printing a link.")
        var passwordStdin = false
        @Flag(help: "Make the user an instance administrator: they manage the sources at /settings/sources (the first user is one).")
        var instanceAdmin = false

        func validate() throws {
            guard MemberRole(rawValue: role.lowercased()) != nil else { throw ValidationError("--role must be admin, member or viewer") }
            guard MemberDirectory.looksLikeEmail(email) else { throw ValidationError("\(email) is not an email address (expected name@example.org)") }
        }

        func run() async throws {
            var passwordHash: String?
            if passwordStdin {
                let password = readLine(strippingNewline: true) ?? ""
                if let problem = PasswordHasher.problem(with: password) {
                    printError("vigil users add: \(problem)")
                    throw ExitCode(1)
                }
                passwordHash = try await PasswordHasher().hash(password)
            }
            try await database.open().closing { store in
                let organisation = try require(try await store.organisation(named: org, create: true))
                let directory = MemberDirectory(store: store)
                let added: MemberDirectory.Added
                do {
                    added = try await directory.addMember(email: email, displayName: name, organisation: organisation,
                                                          role: MemberRole(rawValue: role.lowercased()) ?? .member, passwordHash: passwordHash)
                } catch let error as AccountError {
                    printError("vigil users add: \(error)")
                    throw ExitCode(1)
                }
                print("\(added.user.email) is \(added.membership.role.rawValue) of \(organisation.name)" + (added.userCreated ? " (new user)." : "."))
                if instanceAdmin, !added.user.instanceAdmin {
                    _ = try await store.setInstanceAdmin(userID: added.user.id, true)
                }
                if instanceAdmin || added.user.instanceAdmin {
                    print("\(added.user.email) administers this installation (its sources, at /settings/sources).")
                }
                if added.unconfirmedSignupReset {
                    print("The account's password was chosen at a sign-up (anyone may sign up with any address), so it, the account's sessions and API tokens were removed: it can sign in only through the link below.")
                }
                if added.needsPassword {
                    let token = try await directory.issueToken(.invitation, userID: added.user.id)
                    print("Send them this link to set their password (valid 24 hours, once): \(MemberDirectory.passwordLink(baseURL: UsersCommand.baseURL, token: token))")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users with their organisations and roles.")
        @OptionGroup var database: DatabaseOptions
        @Option(help: ArgumentHelp("Only the members of this organisation.", valueName: "name")) var org: String?

        func run() async throws {
            try await database.open().closing { store in
                var organisationID: Int64?
                if let org {
                    guard let found = try await store.organisation(named: org, create: false) else {
                        printError("vigil users list: no organisation named \"\(org)\" (vigil org list).")
                        throw ExitCode(1)
                    }
                    organisationID = found.id
                }
                let users = try await store.users(organisationID: organisationID)
                if users.isEmpty { print("No users: add one with vigil users add EMAIL --org NAME --role admin.") }
                for user in users {
                    let memberships = try await store.memberships(userID: user.id)
                        .filter { organisationID == nil || $0.organisation.id == organisationID }
                        .map { "\($0.organisation.name):\($0.role.rawValue):\($0.delivery.rawValue)" }
                    var state: [String] = []
                    if user.passwordHash == nil { state.append("no password yet") }
                    if user.emailVerifiedAt != nil { state.append("email verified") }
                    if user.disabled { state.append("disabled") }
                    print([user.email, user.displayName, memberships.joined(separator: ", "), state.joined(separator: ", ")].joined(separator: "\t"))
                }
            }
        }
    }

    struct ResetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-password",
            abstract: "Print a one-time link (valid 24 hours) where the user sets a new password; their sessions end when they do.")
        @OptionGroup var database: DatabaseOptions
        @Argument var email: String

        func run() async throws {
            try await database.open().closing { store in
                guard let user = try await store.user(email: email) else {
                    printError("vigil users reset-password: no user has the email \(email) (vigil users list).")
                    throw ExitCode(1)
                }
                let token = try await MemberDirectory(store: store).issueToken(.passwordReset, userID: user.id)
                print("Send \(user.email) this link to set a new password (valid 24 hours, once): \(MemberDirectory.passwordLink(baseURL: UsersCommand.baseURL, token: token))")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a user from an organisation, with their sessions, API tokens and alert channel there.",
            discussion: "A user left in no organisation is deleted.")
        @OptionGroup var database: DatabaseOptions
        @Argument var email: String
        @Option(help: ArgumentHelp("The organisation.", valueName: "name")) var org: String

        func run() async throws {
            try await database.open().closing { store in
                guard let user = try await store.user(email: email) else {
                    printError("vigil users remove: no user has the email \(email) (vigil users list).")
                    throw ExitCode(1)
                }
                guard let organisation = try await store.organisation(named: org, create: false),
                      try await MemberDirectory(store: store).removeMember(user: user, organisationID: organisation.id) else {
                    printError("vigil users remove: \(user.email) is not a member of \"\(org)\" (vigil users list).")
                    throw ExitCode(1)
                }
                if try await store.memberships(userID: user.id).isEmpty {
                    _ = try await store.removeUser(id: user.id)
                    print("\(user.email) removed from \(organisation.name) and deleted (no other organisation).")
                } else {
                    print("\(user.email) removed from \(organisation.name).")
                }
            }
        }
    }
}
