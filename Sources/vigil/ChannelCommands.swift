import Alerts
import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOPosix
import Storage
import Store
import Telemetry

/// `vigil channel add|list|remove|enable|disable --org NAME`: where an organisation's alerts go.
struct ChannelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "channel", abstract: "Add, list and remove where an organisation's alerts go (email, webhook, Slack, Teams).",
        subcommands: [Add.self, List.self, Remove.self, Enable.self, Disable.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a channel: email:ADDRESS, webhook:URL, slack:URL or teams:URL.",
            discussion: """
                Watches without --notify alert every enabled channel of the organisation; a watch with --notify alerts only \
                the channels it names. A generic webhook gets a signing secret, printed once here (see docs/webhooks.md).
                """)
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var organisation: AssetsCommand.OrganisationOption
        @Argument(help: "A name for the channel (ops-mail, soc-slack).") var name: String
        @Argument(help: "email:ADDRESS, webhook:URL, slack:URL or teams:URL.") var spec: String
        @Option(help: "immediate (default), daily or weekly (digests at 07:00 UTC; weekly on Mondays).") var schedule = "immediate"
        @Flag(help: ArgumentHelp("Allow a webhook to a private-network, link-local or loopback address (a SIEM on 10.x, say).",
                                 discussion: "Without it such addresses are refused, also when a public name resolves to one."))
        var allowPrivateNetwork = false

        func validate() throws {
            _ = try ChannelCommand.parse(spec: spec, allowPrivateNetwork: allowPrivateNetwork)
            guard NotificationChannel.Schedule(rawValue: schedule.lowercased()) != nil else {
                throw ValidationError("--schedule must be immediate, daily or weekly")
            }
        }

        func run() async throws {
            try await database.open().closing { store in
                let org = try require(try await store.organisation(named: organisation.name, create: true))
                let (kind, target) = try ChannelCommand.parse(spec: spec, allowPrivateNetwork: allowPrivateNetwork)
                let channel: NotificationChannel
                do {
                    channel = try await store.addChannel(.init(name: name, kind: kind, target: target,
                                                               schedule: NotificationChannel.Schedule(rawValue: schedule.lowercased()) ?? .immediate,
                                                               allowPrivateNetwork: allowPrivateNetwork && kind != .email),
                                                         organisationID: org.id)
                } catch let error as StoreError {
                    printError("vigil channel add: \(error)")
                    throw ExitCode(1)
                }
                print("\(org.name): channel \(channel.name) added (\(channel.spec), \(channel.draft.schedule.rawValue)"
                      + (channel.draft.allowPrivateNetwork ? ", private-network destinations allowed" : "") + ").")
                if channel.kind == .webhook {
                    print("Signing secret (shown once; the receiver checks Vigil-Signature with it): \(channel.secret)")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the organisation's channels.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var organisation: AssetsCommand.OrganisationOption
        func run() async throws {
            try await database.open().closing { store in
                let org = try await organisation.existing(in: store, command: "vigil channel list")
                let channels = try await store.channels(organisationID: org.id)
                if channels.isEmpty { print("\(org.name) has no channels: add one with vigil channel add NAME email:ADDRESS --org \"\(org.name)\".") }
                for channel in channels {
                    let state = channel.enabled ? "enabled" : "disabled (\(channel.disabledReason ?? "by an administrator"))"
                    let network = channel.draft.allowPrivateNetwork ? "\tprivate network allowed" : ""
                    print("\(channel.name)\t\(ChannelCommand.redacted(channel))\t\(channel.draft.schedule.rawValue)\t\(state)\(network)")
                }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a channel and its queued deliveries.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var organisation: AssetsCommand.OrganisationOption
        @Argument var name: String
        func run() async throws {
            try await database.open().closing { store in
                let channel = try await ChannelCommand.existing(name, organisation: organisation, store: store, command: "vigil channel remove")
                _ = try await store.removeChannel(id: channel.id, organisationID: channel.organisationID)
                print("Channel \(channel.name) removed.")
            }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Turn a channel on again (after an unsubscribe, say).")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var organisation: AssetsCommand.OrganisationOption
        @Argument var name: String
        func run() async throws {
            try await database.open().closing { store in
                let channel = try await ChannelCommand.existing(name, organisation: organisation, store: store, command: "vigil channel enable")
                _ = try await store.setChannelEnabled(id: channel.id, organisationID: channel.organisationID, enabled: true, reason: nil)
                print("Channel \(channel.name) enabled.")
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Turn a channel off; what was waiting for it is not sent.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var organisation: AssetsCommand.OrganisationOption
        @Argument var name: String
        func run() async throws {
            try await database.open().closing { store in
                let channel = try await ChannelCommand.existing(name, organisation: organisation, store: store, command: "vigil channel disable")
                _ = try await store.setChannelEnabled(id: channel.id, organisationID: channel.organisationID, enabled: false,
                                                      reason: "turned off with vigil channel disable")
                print("Channel \(channel.name) disabled.")
            }
        }
    }

    /// `email:ops@example.org` → (.email, "ops@example.org"); errors say what is expected.
    static func parse(spec: String, allowPrivateNetwork: Bool = false) throws -> (NotificationChannel.Kind, String) {
        switch ChannelTarget.parse(spec, allowPrivateNetwork: allowPrivateNetwork) {
        case .success(let parsed): return parsed
        case .failure(let error): throw ValidationError(error.message)
        }
    }

    /// Slack and Teams URLs carry their secret in the path: list them by host only.
    static func redacted(_ channel: NotificationChannel) -> String { ChannelTarget.redacted(channel) }

    static func existing(_ name: String, organisation: AssetsCommand.OrganisationOption, store: any VigilStore, command: String) async throws -> NotificationChannel {
        let org = try await organisation.existing(in: store, command: command)
        guard let channel = try await store.channels(organisationID: org.id).first(where: { $0.name == name }) else {
            printError("\(command): \(org.name) has no channel named \"\(name)\" (vigil channel list --org \"\(org.name)\").")
            throw ExitCode(1)
        }
        return channel
    }
}

extension DeliveryRuntime {
    /// The mail settings in `environment` (`VIGIL_SMTP_URL`, `VIGIL_MAIL_FROM`): none, with the reason, when
    /// `VIGIL_SMTP_URL` is not set (email alerts then wait in the outbox); an error naming the variable when a value
    /// is wrong. `vigil serve` reads them once, in `ServeConfiguration`; the one-shot commands through `fromEnvironment`.
    static func mailSettings(environment: [String: String]) throws(SMTPConfigurationError) -> (smtp: SMTPConfiguration?, problem: String?) {
        if (environment["VIGIL_SMTP_URL"] ?? "").isEmpty {
            return (nil, "VIGIL_SMTP_URL is not set: email alerts wait in the outbox until it is")
        }
        return (try SMTPConfiguration(environment: environment), nil)
    }

    /// For the one-shot commands (`vigil import`, `vigil alerts …`): runs `body` with a runtime made from this process's
    /// `VIGIL_SMTP_URL`, `VIGIL_MAIL_FROM` and `VIGIL_BASE_URL`, and shuts it down afterwards. `noting` hears why
    /// email cannot be sent, when it cannot.
    static func fromEnvironment<T>(store: any VigilStore, baseURL: String? = nil, noting: ((String) -> Void)? = nil,
                                   _ body: (DeliveryRuntime) async throws -> T) async throws -> T {
        let environment = ProcessInfo.processInfo.environment
        let smtp: SMTPConfiguration?
        do {
            let settings = try mailSettings(environment: environment)
            if let problem = settings.problem { noting?(problem) }
            smtp = settings.smtp
        } catch {
            throw ValidationError("\(error)")
        }
        let base = baseURL ?? environment["VIGIL_BASE_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://127.0.0.1:8080"
        return try await with(store: store, smtp: smtp, baseURL: base, body)
    }
}
