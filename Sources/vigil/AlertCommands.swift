import Alerts
import ArgumentParser
import CSAF
import Foundation
import Storage
import Store
import Web

/// `vigil org create NAME`, `vigil org list`.
struct OrgCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "org", abstract: "Create and list organisations.",
                                                    subcommands: [Create.self, List.self, Settings.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an organisation (nothing happens when it exists).")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The organisation's name.") var name: String

        func run() async throws {
            try await database.open().closing { store in
                let org = try require(try await store.organisation(named: name, create: true))
                print("Organisation \(org.name) (id \(org.id)).")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List organisations.")
        @OptionGroup var database: DatabaseOptions
        func run() async throws {
            try await database.open().closing { store in
                for org in try await store.organisations() { print("\(org.id)\t\(org.name)") }
            }
        }
    }
}

extension OrgCommand {
    /// `vigil org settings NAME [--rename NEW] [--time-zone ZONE] [--digest-hour H] [--base-url URL]`: what
    /// `/settings/organisation` shows and changes.
    struct Settings: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or change an organisation's name, digest time zone and hour, and the base URL of its messages.",
            discussion: "With no option, prints the settings. Digests are composed at the hour on the zone's clock, weekly ones on Mondays.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The organisation's name.") var name: String
        @Option(help: "A new name.") var rename: String?
        @Option(help: "An IANA time zone, such as Europe/Berlin or America/Chicago.") var timeZone: String?
        @Option(help: "The hour (0–23) digests are composed at, on the time zone's clock.") var digestHour: Int?
        @Option(help: "Where the organisation's people open Vigil, for the links in its messages; \"\" uses the server's --base-url.")
        var baseURL: String?

        func run() async throws {
            try await database.open().closing { store in
                guard let org = try await store.organisation(named: name, create: false),
                      var settings = try await store.organisationSettings(organisationID: org.id) else {
                    throw ValidationError("There is no organisation \(name): see vigil org list.")
                }
                if rename != nil || timeZone != nil || digestHour != nil || baseURL != nil {
                    if let rename { settings.name = rename }
                    if let timeZone { settings.timeZone = timeZone }
                    if let digestHour { settings.digestHour = digestHour }
                    if let baseURL { settings.baseURL = baseURL.isEmpty ? nil : baseURL }
                    do {
                        try await store.saveOrganisationSettings(settings, organisationID: org.id, actor: "cli", at: Date())
                    } catch let error as StoreError where error.kind != .unavailable && error.kind != .corrupt {
                        let option = ["name": "--rename", "time_zone": "--time-zone", "digest_hour": "--digest-hour", "base_url": "--base-url"][error.field ?? ""]
                        throw ValidationError(option.map { "\($0): \(error.message)" } ?? error.message)
                    }
                    settings = try await store.organisationSettings(organisationID: org.id) ?? settings
                }
                print("""
                    Organisation \(settings.name) (id \(org.id))
                    Digests:  \(String(format: "%02d:00", settings.digestHour)) \(settings.timeZone) (weekly ones on Mondays)
                    Base URL: \(settings.baseURL ?? "the server's --base-url")
                    """)
            }
        }
    }
}

/// `vigil watch add|list|remove --org NAME`.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "watch", abstract: "Add, list and remove an organisation's watches.",
                                                    subcommands: [Add.self, List.self, Remove.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Watch a vendor, product, sector, publisher, CVSS threshold, KEV CVEs, a keyword or the asset inventory.",
            discussion: "Exactly one of the rule options. Watches alert for advisories stored after they are made, never retroactively.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var organisation: AssetsCommand.OrganisationOption
        @Option var vendor: String?
        @Option var product: String?
        @Option var sector: String?
        @Option var publisher: String?
        @Option(name: .customLong("min-cvss")) var minCVSS: Double?
        @Flag var kev = false
        @Option var keyword: String?
        @Flag var assets = false
        @Option(name: .customLong("min-severity"), help: "low, medium, high or critical.") var minSeverity: String?
        @Option(help: "Channel names or specs (email:ADDRESS, webhook:URL, slack:URL, teams:URL), comma-separated; default: every channel of the organisation.")
        var notify: String?

        func validate() throws {
            let rules = [vendor != nil, product != nil, sector != nil, publisher != nil, minCVSS != nil, kev, keyword != nil, assets]
            guard rules.filter({ $0 }).count == 1 else {
                throw ValidationError("give exactly one of --vendor, --product, --sector, --publisher, --min-cvss, --kev, --keyword, --assets")
            }
            if let minCVSS, !(0...10).contains(minCVSS) { throw ValidationError("--min-cvss must be between 0 and 10") }
            if let minSeverity, Severity(rawValue: minSeverity.lowercased()) == nil {
                throw ValidationError("--min-severity must be low, medium, high or critical")
            }
            for item in WatchCommand.notifyItems(notify) where item.contains(":") {
                _ = try ChannelCommand.parse(spec: item)
            }
        }

        func run() async throws {
            try await database.open().closing { store in
                let org = try require(try await store.organisation(named: organisation.name, create: true))
                let (kind, value): (String, String) =
                    if let vendor { ("vendor", vendor) } else if let product { ("product", product) }
                    else if let sector { ("sector", sector) } else if let publisher { ("publisher", publisher) }
                    else if let minCVSS { ("min_cvss", String(minCVSS)) } else if kev { ("kev", "") }
                    else if let keyword { ("keyword", keyword) } else { ("assets", "") }
                // Specs name channels to use or create; bare names must be channels that exist.
                var names: [String] = []
                var channels = try await store.channels(organisationID: org.id)
                for item in WatchCommand.notifyItems(notify) {
                    if let channel = channels.first(where: { $0.name == item || $0.spec.lowercased() == item.lowercased() }) {
                        names.append(channel.name)
                    } else if item.contains(":") {
                        let (channelKind, target) = try ChannelCommand.parse(spec: item)
                        let channel = try await store.addChannel(.init(name: item, kind: channelKind, target: target), organisationID: org.id)
                        channels.append(channel)
                        names.append(channel.name)
                        print("\(org.name): channel \(channel.name) added.")
                        if channel.kind == .webhook { print("Signing secret (shown once): \(channel.secret)") }
                    } else {
                        printError("vigil watch add: \(org.name) has no channel named \"\(item)\"; add it with vigil channel add or give a spec such as email:ADDRESS.")
                        throw ExitCode(1)
                    }
                }
                let watch = try await store.addWatch(.init(kind: kind, value: value,
                                                           minimumSeverity: minSeverity.flatMap { Severity(rawValue: $0.lowercased()) },
                                                           notify: names.joined(separator: ",")), organisationID: org.id)
                print("\(org.name): watch \(watch.id) added (\(WatchCommand.describe(watch))).")
                if channels.filter(\.enabled).isEmpty {
                    print("Note: \(org.name) has no channel yet, so alerts are only listed (vigil alerts list); add one with vigil channel add NAME email:ADDRESS.")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the organisation's watches.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var organisation: AssetsCommand.OrganisationOption
        func run() async throws {
            try await database.open().closing { store in
                let org = try await organisation.existing(in: store, command: "vigil watch list")
                for watch in try await store.watches(organisationID: org.id) { print("\(watch.id)\t\(WatchCommand.describe(watch))") }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a watch by its number.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var organisation: AssetsCommand.OrganisationOption
        @Argument var id: Int64
        func run() async throws {
            try await database.open().closing { store in
                guard let org = try await store.organisation(named: organisation.name, create: false),
                      try await store.removeWatch(id: id, organisationID: org.id) else {
                    printError("vigil watch remove: \(organisation.name) has no watch \(id)")
                    throw ExitCode(1)
                }
                print("Watch \(id) removed.")
            }
        }
    }

    static func notifyItems(_ notify: String?) -> [String] {
        (notify ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func describe(_ watch: StoredWatch) -> String {
        let rule = AlertCreator.watch(watch)?.rule.label ?? "\(watch.draft.kind) \(watch.draft.value)"
        var text = rule
        if let minimum = watch.draft.minimumSeverity { text += ", \(minimum.rawValue) and above" }
        if !watch.draft.notify.isEmpty { text += ", notify \(watch.draft.notify)" }
        return text
    }
}

/// `vigil alerts list|show|update|outbox|deliver|test|process`: the alert log and its deliveries.
struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "alerts", abstract: "The alert log and the delivery of alerts.",
                                                    subcommands: [List.self, Show.self, Update.self, Outbox.self, Deliver.self,
                                                                  Test.self, Process.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the organisation's alerts, newest first.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var organisation: AssetsCommand.OrganisationOption
        @Option var limit = 100
        @Option(help: "new, investigating, patched, mitigated or not-applicable.") var status: String?
        @Option(help: "text (default), csv or json.") var format = "text"

        func validate() throws {
            if let status, AlertStatus(parsing: status) == nil { throw ValidationError("--status must be new, investigating, patched, mitigated or not-applicable") }
            guard ["text", "csv", "json"].contains(format) else { throw ValidationError("--format must be text, csv or json") }
        }

        func run() async throws {
            try await database.open().closing { store in
                let org = try await organisation.existing(in: store, command: "vigil alerts list")
                let alerts = try await store.alerts(organisationID: org.id, status: status.flatMap(AlertStatus.init(parsing:)), limit: max(limit, 1))
                switch format {
                case "csv":
                    print(AlertLogExport.csv(alerts), terminator: "")
                case "json":
                    print(String(decoding: try AlertLogExport.json(alerts), as: UTF8.self))
                default:
                    if alerts.isEmpty { print("No alerts for \(org.name).") }
                    for alert in alerts {
                        print("\(alert.id)  \(Timestamp.format(alert.createdAt))  \(alert.alertStatus.label.uppercased())  \(alert.draft.advisoryID) v\(alert.draft.advisoryVersion)  \(alert.advisoryTitle)")
                        print("    \(alert.draft.changes.joined(separator: "; "))")
                        for match in alert.draft.matches { print("    watch \(match.watchID) (\(match.watch)): \(match.reason)") }
                        if let owner = alert.owner { print("    owner \(owner)" + (alert.dueDate.map { ", due \($0)" } ?? "")) }
                    }
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One alert: why it was raised, its deliveries and its history.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var organisation: AssetsCommand.OrganisationOption
        @Argument var id: Int64
        func run() async throws {
            try await database.open().closing { store in
                let org = try await organisation.existing(in: store, command: "vigil alerts show")
                guard let alert = try await store.alert(id: id, organisationID: org.id) else {
                    printError("vigil alerts show: \(org.name) has no alert \(id)")
                    throw ExitCode(1)
                }
                print("Alert \(alert.id): \(alert.draft.advisoryID) v\(alert.draft.advisoryVersion) \(alert.advisoryTitle)")
                print("Status \(alert.alertStatus.label); owner \(alert.owner ?? "none"); due \(alert.dueDate ?? "not set"); raised \(Timestamp.format(alert.createdAt))")
                print("Changes: \(alert.draft.changes.joined(separator: "; "))")
                for match in alert.draft.matches { print("  watch \(match.watchID) (\(match.watch)): \(match.reason)") }
                let deliveries = try await store.alertDeliveries(alertID: id, organisationID: org.id)
                print("Deliveries:" + (deliveries.isEmpty ? " none (no channel was configured)" : ""))
                for delivery in deliveries { print("  " + AlertsCommand.describe(delivery)) }
                let events = try await store.alertEvents(alertID: id, organisationID: org.id)
                if !events.isEmpty { print("History:") }
                for event in events {
                    let change = event.field == "note" ? "note: \(event.newValue ?? "")" : "\(event.field) \(event.oldValue ?? "none") → \(event.newValue ?? "none")"
                    print("  \(Timestamp.format(event.at))  \(event.actor)  \(change)")
                }
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Work an alert: status, owner, due date, notes (each change is kept in its history).")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var organisation: AssetsCommand.OrganisationOption
        @Argument var id: Int64
        @Option(help: "new, investigating, patched, mitigated or not-applicable.") var status: String?
        @Option(help: "Who works on it (empty to clear).") var owner: String?
        @Option(help: "YYYY-MM-DD (empty to clear).") var due: String?
        @Option(help: "A note for the history.") var note: String?
        @Option(help: "Who makes the change (default: $USER).") var actor: String?

        func validate() throws {
            if let status, AlertStatus(parsing: status) == nil { throw ValidationError("--status must be new, investigating, patched, mitigated or not-applicable") }
            guard status != nil || owner != nil || due != nil || note != nil else { throw ValidationError("give at least one of --status, --owner, --due, --note") }
        }

        func run() async throws {
            try await database.open().closing { store in
                let org = try await organisation.existing(in: store, command: "vigil alerts update")
                let who = actor ?? ProcessInfo.processInfo.environment["USER"] ?? "command line"
                let updated: StoredAlert?
                do {
                    updated = try await store.updateAlert(id: id, organisationID: org.id,
                                                          update: AlertUpdate(status: status.flatMap(AlertStatus.init(parsing:)), owner: owner, dueDate: due, note: note),
                                                          actor: who, at: Date())
                } catch let error as StoreError {
                    printError("vigil alerts update: \(error)")
                    throw ExitCode(2)
                }
                guard let updated else {
                    printError("vigil alerts update: \(org.name) has no alert \(id)")
                    throw ExitCode(1)
                }
                print("Alert \(updated.id): \(updated.alertStatus.label); owner \(updated.owner ?? "none"); due \(updated.dueDate ?? "not set").")
            }
        }
    }

    struct Outbox: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deliveries of the organisation's alerts: sent, waiting, retrying and failed.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var organisation: AssetsCommand.OrganisationOption
        @Option(help: "pending, sending, delivered, failed, held or digested.") var status: String?
        @Option var limit = 100
        func validate() throws {
            if let status, DeliveryStatus(rawValue: status) == nil { throw ValidationError("--status must be one of \(DeliveryStatus.allCases.map(\.rawValue).joined(separator: ", "))") }
        }
        func run() async throws {
            try await database.open().closing { store in
                let org = try await organisation.existing(in: store, command: "vigil alerts outbox")
                let deliveries = try await store.deliveries(organisationID: org.id, status: status.flatMap(DeliveryStatus.init(rawValue:)), limit: max(limit, 1))
                if deliveries.isEmpty { print("Nothing in the outbox of \(org.name).") }
                for delivery in deliveries { print(AlertsCommand.describe(delivery)) }
            }
        }
    }

    struct Deliver: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send what is due in the outbox now (vigil serve does this every few seconds).",
            discussion: "Mail goes through VIGIL_SMTP_URL from VIGIL_MAIL_FROM; links in messages start with VIGIL_BASE_URL.")
        @OptionGroup var database: DatabaseOptions
        func run() async throws {
            try await database.open().closing { store in
                let summary = try await DeliveryRuntime.fromEnvironment(store: store, noting: { printError("note: \($0)") }) { runtime in
                    try await runtime.dispatcher.runOnce()
                }
                print("Delivered: \(summary.delivered); to retry: \(summary.retrying); failed: \(summary.failed); digests composed: \(summary.digestsComposed).")
                if summary.failed > 0 || summary.retrying > 0 { throw ExitCode(1) }
            }
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a test message to one channel now and say how it went.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var organisation: AssetsCommand.OrganisationOption
        @Option(help: "The channel's name.") var channel: String
        func run() async throws {
            try await database.open().closing { store in
                let target = try await ChannelCommand.existing(channel, organisation: organisation, store: store, command: "vigil alerts test")
                let id = try await store.enqueueTest(channelID: target.id, organisationID: target.organisationID, now: Date())
                _ = try await DeliveryRuntime.fromEnvironment(store: store) { runtime in try await runtime.dispatcher.runOnce(only: id) }
                let org = try await organisation.existing(in: store, command: "vigil alerts test")
                guard let record = try await store.deliveries(organisationID: org.id, status: nil, limit: 200).first(where: { $0.id == id }) else {
                    throw StoreError.notFound("the test delivery \(id) disappeared")
                }
                if record.status == .delivered {
                    print("Test message sent to \(ChannelCommand.redacted(target)): \(record.detail ?? "delivered").")
                } else {
                    printError("vigil alerts test: \(ChannelCommand.redacted(target)): \(record.lastError ?? record.status.rawValue)")
                    throw ExitCode(1)
                }
            }
        }
    }

    struct Process: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create alerts for advisory revisions stored since the last pass and deliver them (vigil import and vigil serve do this themselves).")
        @OptionGroup var database: DatabaseOptions
        @Flag(help: "Create alerts but leave their delivery to vigil serve or vigil alerts deliver.") var noDeliver = false
        func run() async throws {
            try await database.open().closing { store in
                let summary = try await AlertCreator(store: store).processPending()
                print("Revisions processed: \(summary.changesProcessed); alerts created: \(summary.alertsCreated); history not alerted: \(summary.backfillSkipped).")
                guard !noDeliver else { return }
                let delivered = try await DeliveryRuntime.fromEnvironment(store: store) { try await $0.dispatcher.runOnce() }
                print("Delivered: \(delivered.delivered); to retry: \(delivered.retrying); failed: \(delivered.failed).")
            }
        }
    }

    static func describe(_ delivery: DeliveryRecord) -> String {
        var text = "\(delivery.id)  \(Timestamp.format(delivery.createdAt))  "
        text += delivery.alertID.map { "alert \($0)" } ?? delivery.kind.rawValue
        text += " to \(delivery.channelName): \(delivery.status.rawValue.uppercased())"
        if delivery.attempts > 0 { text += " after \(delivery.attempts) attempt\(delivery.attempts == 1 ? "" : "s")" }
        if let next = delivery.nextAttemptAt, delivery.attempts > 0 { text += ", next \(Timestamp.format(next))" }
        if let error = delivery.lastError { text += "; \(error)" }
        if delivery.status == .delivered, let detail = delivery.detail { text += "; \(detail)" }
        return text
    }
}

/// `try #require` for commands: a nil here is a bug in the store, reported plainly.
func require<T>(_ value: T?) throws -> T {
    guard let value else { throw StoreError.corrupt("the store returned nothing where a value was expected") }
    return value
}
