import Foundation
import Hummingbird
import Storage

/// `/settings/members`, for an organisation's admins: who belongs to it, with their role and last sign-in; invite
/// someone by email (a one-time link mailed, or shown once here when mail is not configured), resend an invitation,
/// change a role, remove a member. The organisation always keeps an admin: the last one can be neither demoted nor
/// removed. What `vigil users` does on the command line.
struct MembersController<Context: ViewerRequestContext>: Sendable {
    let store: any ServedStore
    let renderer: TemplateRenderer
    let scope: OrganisationScope
    let settings: AccountSettings
    /// How long an invitation link works.
    static var invitationLifetime: TimeInterval { 7 * 86_400 }

    var routes: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.get("/settings/members", use: page)
        routes.post("/settings/members", use: invite)
        routes.post("/settings/members/{id}/{action}", use: act)
        return routes
    }

    func administered(_ request: Request, _ context: Context) async throws -> (Organisation, Viewer) {
        try await scope.administered(request, viewer: context.viewer, nothing: "no members", managed: "The members of")
    }

    @Sendable func page(_ request: Request, context: Context) async throws -> Response {
        let (organisation, viewer) = try await administered(request, context)
        let notice: String? = switch request.uri.queryParameters.get("done") {
        case "role": "The role is changed."
        case "removed": "The member is removed from \(organisation.name); their own channel with them."
        default: nil
        }
        return try await render(organisation, viewer: viewer, notice: notice)
    }

    func render(_ organisation: Organisation, viewer: Viewer, email: String = "", role: MemberRole = .member, errors: [String: String] = [:],
                notice: String? = nil, link: (email: String, url: String)? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let users = try await store.users(organisationID: organisation.id)
        var members: [(UserAccount, MemberRole)] = []
        for user in users {
            if let membership = try await store.membership(userID: user.id, organisationID: organisation.id) { members.append((user, membership.role)) }
        }
        let view = MembersPageView(organisation: organisation.name, csrf: viewer.csrfToken ?? "", viewerID: viewer.user.id, members: members,
                                   email: email, role: role, errors: errors, notice: notice, link: link, canMail: settings.mailer != nil)
        return HTMLResponse.make(try renderer.render(view, template: "members"), status: status)
    }

    @Sendable func invite(_ request: Request, context: Context) async throws -> Response {
        let (organisation, viewer) = try await administered(request, context)
        let fields = context.form ?? FormFields()
        let email = (fields["email"] ?? "").trimmingCharacters(in: .whitespaces)
        let roleText = fields["role"] ?? ""
        var errors: [String: String] = [:]
        if !MemberDirectory.looksLikeEmail(email) { errors["email"] = "Give an email address, such as name@example.org." }
        let role = MemberRole(rawValue: roleText)
        if role == nil { errors["role"] = "Choose admin, member or viewer." }
        if errors.isEmpty, let existing = try await store.user(email: email),
           try await store.membership(userID: existing.id, organisationID: organisation.id) != nil {
            errors["email"] = "\(existing.email) is a member of \(organisation.name) already: change their role below."
        }
        guard errors.isEmpty, let role else {
            return try await render(organisation, viewer: viewer, email: email, role: role ?? .member, errors: errors, status: .badRequest)
        }
        let added = try await MemberDirectory(store: store).addMember(email: email, displayName: nil, organisation: organisation, role: role,
                                                                    passwordHash: nil)
        guard added.needsPassword else {
            return try await render(organisation, viewer: viewer,
                                    notice: "\(added.user.email) is now \(role.rawValue) of \(organisation.name) and signs in with their password.")
        }
        return try await sendInvitation(to: added.user, organisation: organisation, viewer: viewer, role: role)
    }

    /// Issues a set-password link and mails it; without mail (or when sending fails) shows it to the admin, once.
    func sendInvitation(to user: UserAccount, organisation: Organisation, viewer: Viewer, role: MemberRole) async throws -> Response {
        let token = try await MemberDirectory(store: store).issueToken(.invitation, userID: user.id, lifetime: Self.invitationLifetime)
        // The organisation's own address for Vigil when it set one (`/settings/organisation`), else the server's.
        let baseURL = try await store.organisationSettings(organisationID: organisation.id)?.baseURL ?? settings.baseURL
        let link = MemberDirectory.passwordLink(baseURL: baseURL, token: token)
        if let mailer = settings.mailer {
            do {
                try await mailer.send(to: user.email, subject: "You are invited to \(organisation.name) on Vigil", text: """
                    \(viewer.user.email) invited you to \(organisation.name) on Vigil (\(baseURL)), as \(role.rawValue).

                    Choose your password with this link within 7 days (it works once):
                    \(link)

                    If you did not expect this, ignore this message.
                    """)
                return try await render(organisation, viewer: viewer, notice: "An invitation is mailed to \(user.email); its link works for 7 days.")
            } catch {
                return try await render(organisation, viewer: viewer,
                                        notice: "The invitation could not be mailed (\(error)). Give \(user.email) this link yourself:",
                                        link: (user.email, link))
            }
        }
        return try await render(organisation, viewer: viewer,
                                notice: "Mail is not configured on this server: give \(user.email) this link yourself. It works once, for 7 days.",
                                link: (user.email, link))
    }

    /// `POST /settings/members/{id}/role|remove|resend`.
    @Sendable func act(_ request: Request, context: Context) async throws -> Response {
        let (organisation, viewer) = try await administered(request, context)
        guard let id = Int64(try context.parameters.require("id")), let user = try await store.user(id: id),
              let membership = try await store.membership(userID: id, organisationID: organisation.id) else {
            throw HTTPError(.notFound, message: "\(organisation.name) has no such member.")
        }
        let fields = context.form ?? FormFields()
        switch try context.parameters.require("action") {
        case "role":
            guard let role = MemberRole(rawValue: fields["role"] ?? "") else {
                throw HTTPError(.badRequest, message: "The role is admin, member or viewer.")
            }
            if membership.role == .admin, role != .admin, try await adminCount(organisation) <= 1 {
                return try await render(organisation, viewer: viewer,
                                        errors: ["member-\(id)": "\(user.email) is the last admin of \(organisation.name): make someone else admin first."],
                                        status: .conflict)
            }
            _ = try await store.setMembership(userID: id, organisationID: organisation.id, role: role, delivery: membership.delivery)
            return Redirect.to("/settings/members?done=role")
        case "remove":
            if membership.role == .admin, try await adminCount(organisation) <= 1 {
                return try await render(organisation, viewer: viewer,
                                        errors: ["member-\(id)": "\(user.email) is the last admin of \(organisation.name): make someone else admin first."],
                                        status: .conflict)
            }
            _ = try await MemberDirectory(store: store).removeMember(user: user, organisationID: organisation.id)
            return Redirect.to("/settings/members?done=removed")
        case "resend":
            guard user.passwordHash == nil else {
                throw HTTPError(.badRequest, message: "\(user.email) has a password already; they can reset it at /password-reset.")
            }
            return try await sendInvitation(to: user, organisation: organisation, viewer: viewer, role: membership.role)
        default:
            throw HTTPError(.notFound, message: "There is no such thing to do with a member.")
        }
    }

    func adminCount(_ organisation: Organisation) async throws -> Int {
        var count = 0
        for user in try await store.users(organisationID: organisation.id) where !user.disabled {
            if try await store.membership(userID: user.id, organisationID: organisation.id)?.role == .admin { count += 1 }
        }
        return count
    }
}

/// The members page.
struct MembersPageView {
    struct Choice {
        let value: String
        let label: String
        let selected: Bool
    }

    struct Row {
        let id: Int64
        let email: String
        let name: String
        let roles: [Choice]
        let isYou: Bool
        let pending: Bool
        let lastSignIn: String
        let error: String?
    }

    let pageTitle = "Members"
    let organisation: String
    let csrf: String
    let rows: [Row]
    let email: String
    let roles: [Choice]
    let emailError: String?
    let roleError: String?
    let hasErrors: Bool
    let notice: String?
    let linkEmail: String?
    let link: String?
    let canMail: Bool

    init(organisation: String, csrf: String, viewerID: Int64, members: [(UserAccount, MemberRole)], email: String, role: MemberRole,
         errors: [String: String], notice: String?, link: (email: String, url: String)?, canMail: Bool) {
        self.organisation = organisation
        self.csrf = csrf
        rows = members.map { user, role in
            Row(id: user.id, email: user.email, name: user.displayName,
                roles: MemberRole.allCases.map { Choice(value: $0.rawValue, label: $0.rawValue, selected: $0 == role) },
                isYou: user.id == viewerID, pending: user.passwordHash == nil,
                lastSignIn: Format.dateTime(user.lastSignInAt) ?? "never", error: errors["member-\(user.id)"])
        }
        self.email = email
        roles = MemberRole.allCases.map { Choice(value: $0.rawValue, label: $0.rawValue, selected: $0 == role) }
        emailError = errors["email"]
        roleError = errors["role"]
        hasErrors = emailError != nil || roleError != nil
        self.notice = notice
        linkEmail = link?.email
        self.link = link?.url
        self.canMail = canMail
    }
}
