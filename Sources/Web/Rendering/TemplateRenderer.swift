import CSAF
import Foundation
import Mustache
import Synchronization

/// Renders typed view models with the Mustache templates in `Resources/templates`. Mustache escapes `{{value}}`
/// for HTML; the templates never use triple braces, so every value from a document is escaped. The one exception is
/// `chart.mustache`'s `{{{svg}}}`: markup `Chart.svg()` (Reports) writes, which escapes every text it draws.
struct TemplateRenderer: Sendable {
    let library: MustacheLibrary

    /// Loads the templates shipped with the `Web` target.
    static func load() async throws -> TemplateRenderer {
        guard let directory = Bundle.module.url(forResource: "templates", withExtension: nil, subdirectory: "Resources")
            ?? Bundle.module.resourceURL?.appendingPathComponent("Resources/templates") else {
            throw WebSetupError("the web templates are missing from the installation (Vigil_Web.resources)")
        }
        // Every template escapes with `MarkupEscaping.html` (the content type below, declared on each template's first
        // line as it is registered): Mustache's own escaping went character by character, missed a quote followed by a
        // combining mark, and was a seventh of the server's time on an advisory page.
        MustacheContentTypes.register(HTMLEscaping(), named: HTMLEscaping.name)
        var library = MustacheLibrary()
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".mustache") }.sorted()
        for file in files {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            do {
                try library.register("{{% CONTENT_TYPE: \(HTMLEscaping.name)}}\n" + text, named: String(file.dropLast(".mustache".count)))
            } catch {
                throw WebSetupError("the template \(file) does not parse: \(error)")
            }
        }
        return TemplateRenderer(library: library)
    }

    func render(_ view: Any, template: String) throws -> String {
        guard let html = library.render(MustacheTree.make(view), withTemplate: template) else {
            throw WebSetupError("the template \(template).mustache is missing")
        }
        return html
    }
}

/// HTML escaping for the templates: `MarkupEscaping.html`, byte by byte.
struct HTMLEscaping: MustacheContentType {
    static let name = "VIGIL_HTML"
    func escapeText(_ text: String) -> String { MarkupEscaping.html(text) }
}

/// A problem setting up the web interface (missing resources, an unreadable store).
public struct WebSetupError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// A view model as dictionaries and arrays, each of its structs read once with `Mirror`.
///
/// Mustache looks each `{{name}}` up in the innermost object of its context and outwards, and reads a struct by
/// making a `Mirror` of it every time: a list page of 50 rows made thousands of mirrors, each demangling field types,
/// and rendering took three quarters of the server's time (30 ms a page). Read once into dictionaries, each lookup is
/// a hash. Only the view structs of this module are converted: a value of another type (a date, an enum, a model
/// struct a template reads one field of) stays itself and renders as before. A nil member is left out, as Mustache's
/// `Mirror` reading returns nil for it: the lookup goes on in the outer objects, as it always did.
enum MustacheTree {
    /// What a value is to the conversion, a property of its type: kept per type (`kind(of:)`), so that each value
    /// costs one lookup rather than a row of dynamic casts and a mirror (a fifth of an advisory page's rendering).
    enum Kind: Sendable {
        /// Rendered as it is: text, numbers, Mustache's own protocols, and types of other modules.
        case leaf
        case optional
        case array
        /// A view struct of this module, read into a dictionary.
        case view
    }

    static func make(_ value: Any) -> Any {
        switch kind(of: value) {
        case .leaf:
            return value
        case .optional:
            guard let payload = Mirror(reflecting: value).children.first?.value else { return value }
            return make(payload)
        case .array:
            return Mirror(reflecting: value).children.map { make($0.value) }
        case .view:
            let mirror = Mirror(reflecting: value)
            var members: [String: Any] = [:]
            members.reserveCapacity(Int(mirror.children.count))
            for child in mirror.children {
                // A nil optional is left out, as Mustache's own reading of a struct does: the lookup goes on outwards.
                guard let label = child.label, let member = unwrapped(child.value) else { continue }
                members[label] = make(member)
            }
            return members
        }
    }

    /// The value an optional holds (nil when it holds none); any other value itself.
    private static func unwrapped(_ value: Any) -> Any? {
        guard kind(of: value) == .optional else { return value }
        // The common payloads without a mirror (`as?` looks through an optional: nil when it holds none).
        if let text = value as? String { return text }
        if let number = value as? Int { return number }
        if let flag = value as? Bool { return flag }
        return Mirror(reflecting: value).children.first?.value
    }

    private static let kinds = Mutex<[ObjectIdentifier: Kind]>([:])

    static func kind(of value: Any) -> Kind {
        let key = ObjectIdentifier(type(of: value))
        if let known = kinds.withLock({ $0[key] }) { return known }
        // Optionals first: `is String` looks through an optional, so it would answer for the value, not the type.
        let style = Mirror(reflecting: value).displayStyle
        let kind: Kind
        if style == .optional {
            kind = .optional
        } else {
            switch value {
            case is String, is Int, is Bool, is Double, is Substring, is MustacheParent, is MustacheLambda,
                 is MustacheCustomRepresentation:
                kind = .leaf
            default:
                switch style {
                case .collection where value is [Any]: kind = .array
                case .struct where isViewType(type(of: value)): kind = .view
                default: kind = .leaf
                }
            }
        }
        kinds.withLock { $0[key] = kind }
        return kind
    }

    /// A struct declared in this module (the view models).
    private static func isViewType(_ type: Any.Type) -> Bool {
        String(reflecting: type).hasPrefix("Web.") && !(type is any CustomStringConvertible.Type)
    }
}
