import CSAF
import Foundation

/// Reads a CycloneDX JSON bill of materials (specification 1.4, 1.5 or 1.6) into asset drafts, one per component.
///
/// Components are read recursively (`components[].components[]`). `metadata.component`, the thing the BOM describes,
/// is an asset too when it is a `device`. Each asset takes:
/// - vendor: `supplier.name`, else `manufacturer.name` (1.6), else `publisher`, else `author`, else the first
///   `authors[].name` (1.6), else (for `metadata.component`) `metadata.manufacture.name` or `metadata.supplier.name`,
///   else the purl's namespace, else `group`, else the vendor of the enclosing component;
/// - product: `name`, written `group/name` when `group` is neither the vendor nor already part of the name;
/// - version, cpe, purl as given, `bom-ref` as the external ID, and `tags` (1.6);
/// - model and serial number from `properties` (see `modelNumberProperties` and `serialNumberProperties`).
/// Hashes, licenses and the rest are not needed for matching and are ignored.
public enum CycloneDXReader {
    /// The `specVersion` values read. Older BOMs lack fields Vigil relies on; newer ones are refused until checked.
    public static let supportedSpecVersions = ["1.4", "1.5", "1.6"]

    /// Component `type`s that become assets. Other types (`file`, `data`, `machine-learning-model`,
    /// `cryptographic-asset`) are not products that advisories name; they are skipped with a warning.
    public static let assetTypes: Set<String> = [
        "application", "framework", "library", "container", "platform", "operating-system", "device",
        "device-driver", "firmware",
    ]

    /// Property names read as the model (order) number. A name matches when its last `:`-separated segment equals one
    /// of these ignoring case and punctuation, so `cdx:device:gs1:gmn`, `siemens:mlfb` and `Order Number` all match.
    /// The CycloneDX device taxonomy has no model-number property; GS1's global model number (`gmn`) is the nearest.
    public static let modelNumberProperties = [
        "modelNumber", "model", "orderNumber", "articleNumber", "partNumber", "catalogNumber", "mlfb", "gmn",
    ]

    /// Property names read as the serial number, matched like `modelNumberProperties`; the taxonomy's own is
    /// `cdx:device:serialNumber`.
    public static let serialNumberProperties = ["serialNumber", "serial", "sn"]

    /// Reads CycloneDX JSON bytes.
    public static func read(_ bytes: [UInt8], limits: InventoryLimits = InventoryLimits()) -> InventoryReadResult {
        let document: JSONValue
        do {
            document = try JSONParser.parse(bytes)
        } catch {
            let problem = InventoryProblem(code: .notJSON, line: error.line, message: "the file is not valid JSON: "
                + "\(error.message) (line \(error.line), column \(error.column)); a CycloneDX file must be valid "
                + "JSON, so export it again or fix it there")
            return InventoryReadResult(assets: [], problems: [problem], format: .cycloneDX)
        }
        return read(document, limits: limits)
    }

    /// Reads an already parsed JSON document.
    public static func read(_ document: JSONValue, limits: InventoryLimits = InventoryLimits()) -> InventoryReadResult {
        if let refusal = notCycloneDX(document) {
            return InventoryReadResult(assets: [], problems: [refusal], format: .cycloneDX)
        }
        var walk = CycloneDXWalk(limits: limits)
        walk.readBOM(document)
        return InventoryReadResult(assets: walk.assets, problems: walk.problems.all, warnings: walk.warnings,
                                   format: .cycloneDX)
    }

    /// Why a JSON document is not a CycloneDX BOM, saying what it seems to be instead; nil when it is one.
    static func notCycloneDX(_ document: JSONValue) -> InventoryProblem? {
        let expected = "a CycloneDX bill of materials is a JSON object with \"bomFormat\": \"CycloneDX\""
        guard case .object = document else {
            return InventoryProblem(code: .notCycloneDX, message: "the file is \(document.typeName) in JSON, not an "
                + "asset inventory; \(expected)")
        }
        switch document["bomFormat"] {
        case .string("CycloneDX")?:
            return nil
        case .string(let other)?:
            return InventoryProblem(code: .notCycloneDX, field: "bomFormat", message: "bomFormat is \"\(other)\"; "
                + "\(expected)")
        case let value?:
            return InventoryProblem(code: .notCycloneDX, field: "bomFormat", message: "bomFormat is "
                + "\(value.typeName); \(expected)")
        case nil:
            if document["document"] != nil {
                return InventoryProblem(code: .notCycloneDX, message: "this is a CSAF advisory, not an asset "
                    + "inventory; import advisories as advisories, and inventories as CSV or CycloneDX JSON")
            }
            if document["spdxVersion"] != nil {
                return InventoryProblem(code: .notCycloneDX, message: "this is an SPDX document; Vigil reads "
                    + "CycloneDX JSON, so export the bill of materials as CycloneDX 1.4, 1.5 or 1.6")
            }
            return InventoryProblem(code: .notCycloneDX, message: "the file is JSON but not a CycloneDX bill of "
                + "materials (it has no \"bomFormat\"); \(expected), or import the inventory as CSV")
        }
    }

    /// The namespace of a package URL (`pkg:maven/org.apache/log4j@2` → `org.apache`), percent-decoded.
    static func purlNamespace(_ purl: String) -> String? {
        guard purl.lowercased().hasPrefix("pkg:") else { return nil }
        var rest = Substring(purl.dropFirst(4))
        if let end = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<end] }
        var segments = rest.split(separator: "/", omittingEmptySubsequences: true)
        guard segments.count >= 3 else { return nil }
        segments.removeFirst()
        segments.removeLast()
        let namespace = segments.map { String($0).removingPercentEncoding ?? String($0) }.joined(separator: "/")
        return namespace.isEmpty ? nil : namespace
    }

    /// A property or header name reduced to lower-case letters and digits, after its last `:`.
    static func propertyKey(_ name: String) -> String {
        let last = name.split(separator: ":").last.map(String.init) ?? name
        return InventoryCSVReader.headerKey(last)
    }
}

/// One pass over a CycloneDX document, collecting assets and problems.
private struct CycloneDXWalk {
    let limits: InventoryLimits
    var problems: InventoryProblemList
    var warnings: [InventoryProblem] = []
    var assets: [AssetDraft] = []
    var pathOfReference: [String: String] = [:]
    var componentCount = 0
    var stopped = false

    static let modelKeys = Set(CycloneDXReader.modelNumberProperties.map(InventoryCSVReader.headerKey))
    static let serialKeys = Set(CycloneDXReader.serialNumberProperties.map(InventoryCSVReader.headerKey))

    init(limits: InventoryLimits) {
        self.limits = limits
        problems = InventoryProblemList(limit: limits.maxListedProblems)
    }

    mutating func readBOM(_ bom: JSONValue) {
        checkSpecVersion(bom["specVersion"])
        var metadataVendors: [String] = []
        if let metadata = bom["metadata"] {
            if case .object = metadata {
                for key in ["manufacture", "supplier"] {
                    if let name = organisationName(metadata, key: key, path: "metadata") { metadataVendors.append(name) }
                }
                if let component = metadata["component"] {
                    readMetadataComponent(component, extraVendors: metadataVendors)
                }
            } else {
                problems.append(wrongType("metadata", expected: "an object", found: metadata))
            }
        }
        switch bom["components"] {
        case nil: break
        case .array(let components)?:
            for (index, component) in components.enumerated() where !stopped {
                readComponent(component, path: "components[\(index)]", inheritedVendor: nil, extraVendors: [])
            }
        case let other?:
            problems.append(wrongType("components", expected: "an array", found: other))
        }
        if assets.isEmpty && problems.isEmpty {
            problems.append(InventoryProblem(code: .noAssets, field: "components", message: "the bill of materials "
                + "lists no components to import; list the devices and software under \"components\""))
        }
    }

    mutating func checkSpecVersion(_ value: JSONValue?) {
        let supported = CycloneDXReader.supportedSpecVersions.joined(separator: ", ")
        switch value {
        case .string(let version)? where CycloneDXReader.supportedSpecVersions.contains(version):
            return
        case .string(let version)?:
            problems.append(InventoryProblem(code: .unsupportedSpecVersion, field: "specVersion",
                message: "CycloneDX \(version) is not supported; Vigil reads \(supported): export the BOM as one of "
                    + "those"))
        case nil:
            problems.append(InventoryProblem(code: .unsupportedSpecVersion, field: "specVersion",
                message: "the BOM has no specVersion; add \"specVersion\": \"1.6\" (or the version it was written "
                    + "for: \(supported))"))
        case let other?:
            problems.append(wrongType("specVersion", expected: "a string such as \"1.6\"", found: other))
        }
    }

    mutating func readMetadataComponent(_ component: JSONValue, extraVendors: [String]) {
        let path = "metadata.component"
        guard case .object = component else {
            problems.append(wrongType(path, expected: "an object", found: component))
            return
        }
        if case .string("device")? = component["type"] {
            readComponent(component, path: path, inheritedVendor: nil, extraVendors: extraVendors)
        } else {
            let name = component["name"]?.stringValue.map { " \"\($0)\"" } ?? ""
            let type = component["type"]?.stringValue.map { " (\($0))" } ?? ""
            warnings.append(InventoryProblem(code: .componentNotImported, field: path, message: "the component the "
                + "BOM describes\(name)\(type) is imported only when it is a device; list it under \"components\" "
                + "to import it"))
        }
    }

    mutating func readComponent(_ component: JSONValue, path: String, inheritedVendor: String?,
                                extraVendors: [String]) {
        guard case .object = component else {
            problems.append(wrongType(path, expected: "an object", found: component))
            return
        }
        componentCount += 1
        if componentCount > limits.maxAssets {
            problems.append(InventoryProblem(code: .tooManyAssets, field: path, message: "the BOM has more than "
                + "\(InventoryReader.grouped(limits.maxAssets)) components; split it into several files"))
            stopped = true
            return
        }
        let before = problems.count
        let reference = string(component, "bom-ref", path: path)
        let type = string(component, "type", path: path)
        let name = string(component, "name", path: path)
        let group = string(component, "group", path: path)
        let version = string(component, "version", path: path)
        let cpe = string(component, "cpe", path: path)
        let purl = string(component, "purl", path: path)
        let label = Self.label(path: path, name: name, reference: reference)

        if let reference {
            if let earlier = pathOfReference[reference] {
                problems.append(InventoryProblem(code: .duplicateID, field: "\(path).bom-ref", message: "bom-ref "
                    + "\"\(reference)\" is already used by \(earlier); every bom-ref in a BOM must be unique"))
            } else {
                pathOfReference[reference] = path
            }
        }
        var imported = true
        if let type {
            if !CycloneDXReader.assetTypes.contains(type) {
                imported = false
                warnings.append(InventoryProblem(code: .componentNotImported, field: path, message: "\(label) is of "
                    + "type \"\(type)\", which is not imported (only "
                    + CycloneDXReader.assetTypes.sorted().joined(separator: ", ") + ")"))
            }
        } else if component["type"] == nil || component["type"]?.stringValue?.trimmed.isEmpty == true {
            problems.append(InventoryProblem(code: .missingType, field: "\(path).type", message: "\(label) has no "
                + "type; CycloneDX requires one, such as \"device\", \"firmware\" or \"application\""))
        }
        if component["name"] == nil || component["name"]?.stringValue?.trimmed.isEmpty == true {
            problems.append(InventoryProblem(code: .missingName, field: "\(path).name", message: "\(label) has no "
                + "name; give every component the product name an advisory would use"))
        }
        if let cpe, !cpe.lowercased().hasPrefix("cpe:") {
            problems.append(InventoryProblem(code: .badCPE, field: "\(path).cpe", message: "\"\(cpe)\" is not a CPE "
                + "name; a CPE starts with \"cpe:\" (cpe:2.3:h:vendor:product:…); remove the field if there is none"))
        }
        if let purl, !purl.lowercased().hasPrefix("pkg:") {
            problems.append(InventoryProblem(code: .badPURL, field: "\(path).purl", message: "\"\(purl)\" is not a "
                + "package URL; a purl starts with \"pkg:\"; remove the field if there is none"))
        }

        // Every source is read, not just the first that answers, so a wrong type anywhere is reported.
        let beforeVendor = problems.count
        let sources = [
            organisationName(component, key: "supplier", path: path),
            organisationName(component, key: "manufacturer", path: path),
            string(component, "publisher", path: path),
            string(component, "author", path: path),
            firstAuthor(component, path: path),
        ] + extraVendors.map(Optional.some) + [purl.flatMap(CycloneDXReader.purlNamespace), group, inheritedVendor]
        let vendor = sources.lazy.compactMap { $0 }.first
        let vendorSourceIsBroken = problems.count != beforeVendor
        let (model, serial) = identifyingProperties(component, path: path)
        let tags = stringArray(component, "tags", path: path)

        if imported && vendor == nil && !vendorSourceIsBroken {
            problems.append(InventoryProblem(code: .missingVendor, field: path, message: "\(label) has no vendor; "
                + "give it a supplier.name (or manufacturer.name in CycloneDX 1.6), or a purl with a namespace"))
        }

        if imported, problems.count == before, let name, let vendor {
            assets.append(AssetDraft(externalID: reference, vendor: vendor,
                                     product: Self.product(name: name, group: group, vendor: vendor),
                                     version: version, modelNumber: model, serialNumber: serial, cpe: cpe, purl: purl,
                                     tags: tags))
        }
        switch component["components"] {
        case nil: break
        case .array(let children)?:
            for (index, child) in children.enumerated() where !stopped {
                readComponent(child, path: "\(path).components[\(index)]", inheritedVendor: vendor, extraVendors: [])
            }
        case let other?:
            problems.append(wrongType("\(path).components", expected: "an array", found: other))
        }
    }

    /// `name`, or `group/name` when the group adds something: it is not the vendor and not already in the name.
    static func product(name: String, group: String?, vendor: String) -> String {
        guard let group, !group.isEmpty else { return name }
        let groupKey = InventoryCSVReader.headerKey(group), vendorKey = InventoryCSVReader.headerKey(vendor)
        if groupKey.isEmpty || vendorKey.contains(groupKey) || groupKey.contains(vendorKey)
            || InventoryCSVReader.headerKey(name).hasPrefix(groupKey) {
            return name
        }
        return "\(group)/\(name)"
    }

    static func label(path: String, name: String?, reference: String?) -> String {
        var label = "component"
        if let name, !name.isEmpty { label += " \"\(name)\"" }
        if let reference { label += " (bom-ref \"\(reference)\")" }
        return label
    }

    // MARK: Typed field access, each reporting a wrong type at its path

    mutating func string(_ object: JSONValue, _ key: String, path: String) -> String? {
        guard let value = object[key] else { return nil }
        guard case .string(let text) = value else {
            problems.append(wrongType("\(path).\(key)", expected: "a string", found: value))
            return nil
        }
        return checked(text, field: "\(path).\(key)")
    }

    /// A string value trimmed, or nil with a problem when it holds control characters or is too long.
    mutating func checked(_ text: String, field: String) -> String? {
        if let bad = text.unicodeScalars.first(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) {
            problems.append(InventoryProblem(code: .controlCharacter, field: field, message: "the value contains the "
                + "control character U+\(String(format: "%04X", bad.value)); remove it"))
            return nil
        }
        let length = text.unicodeScalars.count
        if length > limits.maxFieldLength {
            problems.append(InventoryProblem(code: .valueTooLong, field: field, message: "the value is "
                + "\(InventoryReader.grouped(length)) characters long; values may have at most "
                + "\(InventoryReader.grouped(limits.maxFieldLength))"))
            return nil
        }
        let trimmed = text.trimmed
        return trimmed.isEmpty ? nil : trimmed
    }

    /// The `name` of an organizational entity member (`supplier`, `manufacturer`, `metadata.manufacture`).
    mutating func organisationName(_ object: JSONValue, key: String, path: String) -> String? {
        guard let entity = object[key] else { return nil }
        guard case .object = entity else {
            problems.append(wrongType("\(path).\(key)", expected: "an object with a name", found: entity))
            return nil
        }
        return string(entity, "name", path: "\(path).\(key)")
    }

    mutating func firstAuthor(_ object: JSONValue, path: String) -> String? {
        guard let authors = object["authors"] else { return nil }
        guard case .array(let list) = authors else {
            problems.append(wrongType("\(path).authors", expected: "an array", found: authors))
            return nil
        }
        var first: String?
        for (index, author) in list.enumerated() {
            guard case .object = author else {
                problems.append(wrongType("\(path).authors[\(index)]", expected: "an object", found: author))
                continue
            }
            if let name = string(author, "name", path: "\(path).authors[\(index)]"), first == nil { first = name }
        }
        return first
    }

    mutating func stringArray(_ object: JSONValue, _ key: String, path: String) -> [String] {
        guard let value = object[key] else { return [] }
        guard case .array(let items) = value else {
            problems.append(wrongType("\(path).\(key)", expected: "an array of strings", found: value))
            return []
        }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let text) = item else {
                problems.append(wrongType("\(path).\(key)[\(index)]", expected: "a string", found: item))
                continue
            }
            if let text = checked(text, field: "\(path).\(key)[\(index)]"), !result.contains(text) { result.append(text) }
        }
        return result
    }

    /// The model and serial number from `properties`, the first property of each kind winning.
    mutating func identifyingProperties(_ object: JSONValue, path: String) -> (model: String?, serial: String?) {
        guard let value = object["properties"] else { return (nil, nil) }
        guard case .array(let properties) = value else {
            problems.append(wrongType("\(path).properties", expected: "an array", found: value))
            return (nil, nil)
        }
        var model: String?, serial: String?
        for (index, property) in properties.enumerated() {
            let propertyPath = "\(path).properties[\(index)]"
            guard case .object = property else {
                problems.append(wrongType(propertyPath, expected: "an object with name and value", found: property))
                continue
            }
            guard let name = string(property, "name", path: propertyPath) else { continue }
            let key = CycloneDXReader.propertyKey(name)
            guard Self.modelKeys.contains(key) || Self.serialKeys.contains(key),
                  let text = string(property, "value", path: propertyPath) else { continue }
            if Self.modelKeys.contains(key), model == nil { model = text }
            if Self.serialKeys.contains(key), serial == nil { serial = text }
        }
        return (model, serial)
    }

    func wrongType(_ field: String, expected: String, found: JSONValue) -> InventoryProblem {
        InventoryProblem(code: .wrongType, field: field, message: "should be \(expected) but is \(found.typeName); "
            + "check the file against the CycloneDX JSON schema")
    }
}
