import Foundation
import Mustache

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
        guard let html = library.render(view, withTemplate: template) else {
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
