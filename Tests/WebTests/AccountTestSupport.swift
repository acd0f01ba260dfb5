import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Storage
import Store
@testable import Web

/// A browser over the test client: it keeps the cookies the server sets and reads the form token from pages, so a
/// test signs in and posts forms the way a person does.
final class TestBrowser: @unchecked Sendable {
    let client: any TestClientProtocol
    private(set) var cookies: [String: String] = [:]
    /// The `Set-Cookie` lines of the last response.
    private(set) var lastSetCookies: [String] = []

    init(_ client: any TestClientProtocol) {
        self.client = client
    }

    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await send(uri, method: .get, headers: headers, body: nil)
    }

    /// Posts a form; `csrf` is added from the last page unless given (pass `csrf: nil` to leave it out).
    func post(_ uri: String, _ fields: [(String, String)], csrf: String?) async throws -> TestResponse {
        var all = fields
        if let csrf { all.append(("csrf", csrf)) }
        let body = all.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        return try await send(uri, method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: body))
    }

    func send(_ uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        var headers = headers
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ") }
        let response = try await client.executeRequest(uri: uri, method: method, headers: headers, body: body)
        lastSetCookies = response.headers[values: .setCookie]
        for line in lastSetCookies {
            let pair = line.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pair[0]).trimmingCharacters(in: .whitespaces)
            let value = pair.count > 1 ? String(pair[1]) : ""
            if value.isEmpty || line.lowercased().contains("max-age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        return response
    }

    /// Signs in through the login form; returns the response to the POST.
    @discardableResult
    func signIn(_ email: String, _ password: String, next: String? = nil) async throws -> TestResponse {
        let page = try await get("/login" + (next.map { "?next=" + Self.encode($0) } ?? ""))
        return try await post("/login", [("email", email), ("password", password), ("next", next ?? "/")], csrf: Self.csrf(in: page))
    }

    /// The value of the first hidden `csrf` field of a page.
    static func csrf(in response: TestResponse) -> String? {
        let html = String(buffer: response.body)
        guard let range = html.range(of: "name=\"csrf\" value=\"") else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

enum AccountFixtures {
    /// bcrypt at the lowest cost: the tests check behaviour, not the work factor (production uses 12).
    static let settings = AccountSettings(passwordHasher: PasswordHasher(cost: 4))
    static let password = "correct horse battery"

    /// Adds a user with a password to the organisation, the way `vigil users add --password-stdin` does.
    @discardableResult
    static func member(_ email: String, of organisation: Organisation, role: MemberRole = .member, store: SQLiteStore,
                       password: String = AccountFixtures.password) async throws -> MemberDirectory.Added {
        let hash = try await settings.passwordHasher.hash(password)
        return try await MemberDirectory(store: store).addMember(email: email, displayName: nil, organisation: organisation, role: role, passwordHash: hash)
    }
}
