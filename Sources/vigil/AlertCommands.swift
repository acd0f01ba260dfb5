import Alerts
import ArgumentParser
import CSAF
import Foundation
import Store

/// `vigil org create NAME`, `vigil org list`.
struct OrgCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "org", abstract: "Create and list organisations.",
                                                    subcommands: [Create.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an organisation (nothing happens when it exists).")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The organisation's name.") var name: String

        func run() async throws {
            let store = try SQLiteStore(path: database.path)
            let org = try require(try await store.organisation(named: name, create: true))
            print("Organisation \(org.name) (id \(org.id)).")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List organisations.")
        @OptionGroup var database: DatabaseOptions
        func run() async throws {
            for org in try await SQLiteStore(path: database.path).organisations() { print("\(org.id)\t\(org.name)") }
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
        @Option(help: "email:ADDRESS or webhook:URL.") var notify: String?

        func validate() throws {
            let rules = [vendor != nil, product != nil, sector != nil, publisher != nil, minCVSS != nil, kev, keyword != nil, assets]
            guard rules.filter({ $0 }).count == 1 else {
                throw ValidationError("give exactly one of --vendor, --product, --sector, --publisher, --min-cvss, --kev, --keyword, --assets")
            }
            if let minCVSS, !(0...10).contains(minCVSS) { throw ValidationError("--min-cvss must be between 0 and 10") }
            if let minSeverity, Severity(rawValue: minSeverity.lowercased()) == nil {
                throw ValidationError("--min-severity must be low, medium, high or critical")
            }
            if let notify, !(notify.hasPrefix("email:") || notify.hasPrefix("webhook:https://") || notify.hasPrefix("webhook:http://127.0.0.1")) {
                throw ValidationError("--notify must be email:ADDRESS or webhook:https://…")
            }
        }

        func run() async throws {
            let store = try SQLiteStore(path: database.path)
            let org = try require(try await store.organisation(named: organisation.name, create: true))
            let (kind, value): (String, String) =
                if let vendor { ("vendor", vendor) } else if let product { ("product", product) }
                else if let sector { ("sector", sector) } else if let publisher { ("publisher", publisher) }
                else if let minCVSS { ("min_cvss", String(minCVSS)) } else if kev { ("kev", "") }
                else if let keyword { ("keyword", keyword) } else { ("assets", "") }
            let watch = try await store.addWatch(.init(kind: kind, value: value,
                                                       minimumSeverity: minSeverity.flatMap { Severity(rawValue: $0.lowercased()) },
                                                       notify: notify ?? ""), organisationID: org.id)
            print("\(org.name): watch \(watch.id) added (\(WatchCommand.describe(watch))).")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the organisation's watches.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var organisation: AssetsCommand.OrganisationOption
        func run() async throws {
            let store = try SQLiteStore(path: database.path)
            let org = try await organisation.existing(in: store, command: "vigil watch list")
            for watch in try await store.watches(organisationID: org.id) { print("\(watch.id)\t\(WatchCommand.describe(watch))") }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a watch by its number.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var organisation: AssetsCommand.OrganisationOption
        @Argument var id: Int64
        func run() async throws {
            let store = try SQLiteStore(path: database.path)
            guard let org = try await store.organisation(named: organisation.name, create: false),
                  try await store.removeWatch(id: id, organisationID: org.id) else {
                printError("vigil watch remove: \(organisation.name) has no watch \(id)")
                throw ExitCode(1)
            }
            print("Watch \(id) removed.")
        }
    }

    static func describe(_ watch: StoredWatch) -> String {
        let rule = AlertCreator.watch(watch)?.rule.label ?? "\(watch.draft.kind) \(watch.draft.value)"
        var text = rule
        if let minimum = watch.draft.minimumSeverity { text += ", \(minimum.rawValue) and above" }
        if !watch.draft.notify.isEmpty { text += ", notify \(watch.draft.notify)" }
        return text
    }
}

/// `vigil alerts list|process --org NAME`.
struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "alerts", abstract: "Alerts created for an organisation.",
                                                    subcommands: [List.self, Process.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the organisation's alerts, newest first.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var organisation: AssetsCommand.OrganisationOption
        @Option var limit = 100
        func run() async throws {
            let store = try SQLiteStore(path: database.path)
            let org = try await organisation.existing(in: store, command: "vigil alerts list")
            let alerts = try await store.alerts(organisationID: org.id, limit: max(limit, 1))
            if alerts.isEmpty { print("No alerts for \(org.name).") }
            for alert in alerts {
                print("\(alert.id)  \(Timestamp.format(alert.createdAt))  \(alert.status.uppercased())  \(alert.draft.advisoryID) v\(alert.draft.advisoryVersion)  \(alert.advisoryTitle)")
                print("    \(alert.draft.changes.joined(separator: "; "))")
                for match in alert.draft.matches { print("    watch \(match.watchID) (\(match.watch)): \(match.reason)") }
            }
        }
    }

    struct Process: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create alerts for advisory revisions stored since the last pass (vigil import and vigil serve do this themselves).")
        @OptionGroup var database: DatabaseOptions
        func run() async throws {
            let summary = try await AlertCreator(store: SQLiteStore(path: database.path)).processPending()
            print("Revisions processed: \(summary.changesProcessed); alerts created: \(summary.alertsCreated); history not alerted: \(summary.backfillSkipped).")
        }
    }
}

/// `try #require` for commands: a nil here is a bug in the store, reported plainly.
func require<T>(_ value: T?) throws -> T {
    guard let value else { throw StoreError("the store returned nothing where a value was expected") }
    return value
}
