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
        return TemplateRenderer(library: try await MustacheLibrary(directory: directory.path))
    }

    func render(_ view: Any, template: String) throws -> String {
        guard let html = library.render(MustacheTree.make(view), withTemplate: template) else {
            throw WebSetupError("the template \(template).mustache is missing")
        }
        return html
    }
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
    static func make(_ value: Any) -> Any {
        switch value {
        case is String, is Int, is Bool, is Double, is Substring, is MustacheParent, is MustacheLambda,
             is MustacheCustomRepresentation:
            return value
        default:
            break
        }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            guard let payload = mirror.children.first?.value else { return value }
            return make(payload)
        case .collection where value is [Any]:
            return mirror.children.map { make($0.value) }
        case .struct where isViewType(type(of: value)):
            var members: [String: Any] = [:]
            members.reserveCapacity(Int(mirror.children.count))
            for child in mirror.children {
                // A nil optional is left out, as Mustache's own reading of a struct does: the lookup goes on outwards.
                guard let label = child.label, let member = unwrapped(child.value) else { continue }
                members[label] = make(member)
            }
            return members
        default:
            return value
        }
    }

    /// The value an optional holds (nil when it holds none); any other value itself.
    private static func unwrapped(_ value: Any) -> Any? {
        // The common members first, without a mirror (`as?` looks through an optional: nil when it holds none).
        if let text = value as? String { return text }
        if let number = value as? Int { return number }
        if let flag = value as? Bool { return flag }
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional else { return value }
        return mirror.children.first?.value
    }

    private static let viewTypes = Mutex<[ObjectIdentifier: Bool]>([:])

    /// A struct declared in this module (the view models), remembered per type.
    private static func isViewType(_ type: Any.Type) -> Bool {
        let key = ObjectIdentifier(type)
        if let known = viewTypes.withLock({ $0[key] }) { return known }
        let isView = String(reflecting: type).hasPrefix("Web.") && !(type is any CustomStringConvertible.Type)
        viewTypes.withLock { $0[key] = isView }
        return isView
    }
}
