import ArgumentParser
import Foundation
import Matching
import Storage
import Store
import Versions
import Web

/// `vigil range explain TEXT [VERSION]`: how Vigil reads a vendor's version range, and whether a version is inside.
struct RangeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "range", abstract: "Explain how version range text is read.", subcommands: [Explain.self])

    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show how a range text is read and, given a version, whether it is inside.",
            discussion: """
                Examples: vigil range explain "< V2.14.1" V2.13.0
                          vigil range explain "vers:all/>=V7.80<V9.40" --json
                With --json: {"text", "normalized" (a vers string or null), "confidence" (exact, lenient, unreadable),
                "reading", "notes", and with a version "version", "contains" (true, false or null when it cannot be
                decided) and "reason"}.
                """)

        @Argument(help: "The range text as the advisory gives it.") var text: String
        @Argument(help: "A version to test against it.") var version: String?
        @Option(help: "A serial number, for ranges that bound serial numbers.") var serial: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let range = VendorRange.read(text)
            let decision = version.map { range.decide(version: $0, serialNumber: serial) }
            if json {
                var object: [String: Any] = [
                    "text": text, "normalized": range.normalized ?? NSNull(), "confidence": range.confidence.rawValue,
                    "reading": range.reading, "notes": range.notes,
                ]
                if let version, let decision {
                    object["version"] = version
                    object["contains"] = decision.contains ?? NSNull()
                    object["reason"] = decision.reason
                    object["decision_confidence"] = decision.confidence.rawValue
                }
                let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            print("text:        \(text)")
            print("read as:     \(range.reading)")
            print("normalized:  \(range.normalized ?? "(no vers equivalent)")")
            print("confidence:  \(range.confidence.rawValue)")
            for note in range.notes { print("note:        \(note)") }
            if let decision {
                let answer = decision.contains.map { $0 ? "inside" : "outside" } ?? "cannot be decided"
                print("\(version!): \(answer) (\(decision.confidence.rawValue)): \(decision.reason)")
            }
        }
    }
}

/// `vigil assets import FILE --org NAME`, `vigil assets list --org NAME`.
struct AssetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assets", abstract: "Import and list an organisation's asset inventory.",
        subcommands: [Import.self, List.self, Alias.self])

    /// `--org NAME`, the organisation whose data a command reads or changes.
    struct OrganisationOption: ParsableArguments {
        @Option(help: ArgumentHelp("The organisation (default: $VIGIL_ORG, else \"default\").", valueName: "name"))
        var org: String?

        var name: String {
            if let org { return org }
            if let value = ProcessInfo.processInfo.environment["VIGIL_ORG"], !value.isEmpty { return value }
            return "default"
        }

        /// The named organisation; when it does not exist, says so for `command` and exits with status 1.
        func existing(in store: any VigilStore, command: String) async throws -> Organisation {
            guard let org = try await store.organisation(named: name, create: false) else {
                printError("\(command): no organisation named \"\(name)\"; create it with vigil org create NAME or vigil assets import FILE --org NAME.")
                throw ExitCode(1)
            }
            return org
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import an inventory (CSV or CycloneDX JSON 1.4–1.6); nothing is imported when any row is bad.",
            discussion: "Assets are matched to stored ones by their asset id, else by vendor, product, model, serial, site and area. Exposures are recomputed at once.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var organisation: OrganisationOption
        @Argument(help: "The inventory file.") var file: String
        @Flag(help: "Remove the organisation's assets that the file does not list.") var replace = false
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let bytes: [UInt8]
            do {
                let attributes = try FileManager.default.attributesOfItem(atPath: file)
                if let size = attributes[.size] as? Int, size > InventoryLimits().maxBytes {
                    printError("vigil assets import: \(file) is \(size.grouped) bytes; the limit is \(InventoryLimits().maxBytes.grouped). Split the inventory.")
                    throw ExitCode(2)
                }
                bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
            } catch let exit as ExitCode {
                throw exit
            } catch {
                printError("vigil assets import: cannot read \(file): \(error.localizedDescription)")
                throw ExitCode(2)
            }
            let result = InventoryReader.read(bytes, fileName: file)
            for warning in result.warnings { printError("warning: \(file): \(warning)") }
            guard result.isClean else {
                for problem in result.problems { printError("\(file): \(problem)") }
                printError("vigil assets import: \(result.problems.count.grouped) problem(s) in \(file); nothing was imported. Fix the rows above and run the import again.")
                throw ExitCode(1)
            }
            let store: any VigilStore
            do { store = try await database.open() } catch {
                printError("vigil assets import: \(error)")
                throw ExitCode(2)
            }
            try await store.closing { store in
                guard let org = try await store.organisation(named: organisation.name, create: true) else { throw ExitCode(2) }
                let summary = try await store.importAssets(result.assets, organisationID: org.id, replace: replace)
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                    print(String(decoding: try encoder.encode(summary), as: UTF8.self))
                    return
                }
                print("\(org.name): \(result.assets.count.grouped) assets read from \(file) (\(result.format.rawValue)): "
                      + "\(summary.added.grouped) new, \(summary.updated.grouped) updated, \(summary.unchanged.grouped) unchanged, \(summary.removed.grouped) removed.")
                let exposures = ExposureStatus.allCases.compactMap { status in
                    summary.exposures[status.rawValue].map { "\($0.grouped) \(status.label)" }
                }
                print("Exposures: " + (exposures.isEmpty ? "none" : exposures.joined(separator: ", ")) + ".")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the organisation's assets with their affected counts.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var organisation: OrganisationOption

        func run() async throws {
            try await database.open().closing { store in
                let org = try await organisation.existing(in: store, command: "vigil assets list")
                for stored in try await store.assets(organisationID: org.id) {
                    let a = stored.asset
                    print("\(stored.id)\t\(a.vendor)\t\(a.product)\t\(a.version ?? "-")\t\(a.site ?? "-")\taffected by \(stored.affectedCount), unknown \(stored.unknownCount)")
                }
            }
        }
    }

    struct Alias: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add or remove a vendor alias (a spelling that means a canonical vendor) and recompute exposures.",
            discussion: "Example: vigil assets alias \"Telemecanique Sensors\" \"Schneider Electric\". Without CANONICAL the alias is removed. Without arguments, lists the aliases.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The spelling.") var alias: String?
        @Argument(help: "The canonical vendor name.") var canonical: String?

        func run() async throws {
            try await database.open().closing { store in
                guard let alias else {
                    for (key, value) in try await store.vendorAliases().sorted(by: { $0.key < $1.key }) { print("\(key) → \(value)") }
                    return
                }
                try await store.setVendorAlias(alias, canonical: canonical)
                let count = try await store.recomputeExposures()
                print(canonical.map { "\"\(alias)\" now means \($0)." } ?? "Alias \"\(alias)\" removed.")
                print("Exposures recomputed: \(count.grouped).")
            }
        }
    }
}

/// `vigil exposures [--format text|csv|json]`: the organisation's assets affected by advisories, worst first.
struct ExposuresCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exposures", abstract: "List which assets advisories affect, with the reason for each.")

    enum Format: String, ExpressibleByArgument { case text, csv, json }

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var organisation: AssetsCommand.OrganisationOption
    @Option(help: "text, csv or json.") var format: Format = .text
    @Option(help: "Only this advisory.") var advisory: String?
    @Flag(help: "Include assets that are not affected.") var all = false

    func run() async throws {
        try await database.open().closing { store in
            let org = try await organisation.existing(in: store, command: "vigil exposures")
            let rows = try await store.exposures(organisationID: org.id,
                                                 filter: ExposureFilter(advisoryID: advisory, includeNotAffected: all, limit: 1_000_000))
            switch format {
            case .csv:
                print(ExposureExport.csv(rows), terminator: "")
            case .json:
                print(String(decoding: try ExposureExport.json(rows), as: UTF8.self))
            case .text:
                if rows.isEmpty { print("No exposures for \(org.name).") }
                for row in rows {
                    let kev = row.knownExploitedCount > 0 ? " KEV" : ""
                    print("\(row.exposure.status.label.uppercased())\(kev)  \(row.exposure.advisoryID) (\(row.severity))  \(row.asset.vendor) \(row.asset.product) \(row.asset.version ?? "")  [\(row.exposure.confidence.rawValue)]")
                    print("    \(row.exposure.reason)")
                }
            }
        }
    }
}

