import Foundation
import Hummingbird
import NIOCore
import Storage

/// Who is asking: a signed-in user (by session cookie, or by API token on `/api/v1`) and their organisation.
struct Viewer: Sendable {
    let user: UserAccount
    /// The organisation the session or token acts in, with the user's role there; nil when they belong to none.
    let membership: Membership?
    /// The session's form token; nil for API tokens, which never come with cookies.
    let csrfToken: String?
    /// The SHA-256 of the session token (to end the session at sign-out).
    let sessionTokenHash: String?

    var organisation: Organisation? { membership?.organisation }
    var role: MemberRole? { membership?.role }
    var canEdit: Bool { role?.canEdit ?? false }
}

/// A request context that knows the viewer, the parsed form of a POST and the client's address.
protocol ViewerRequestContext: RequestContext {
    var viewer: Viewer? { get set }
    /// Set by `CSRFMiddleware` for form posts, whose body it has read.
    var form: FormFields? { get set }
    var clientAddress: String? { get }
}

/// The request context of Vigil's router.
public struct VigilRequestContext: ViewerRequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    var viewer: Viewer?
    var form: FormFields?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    var clientAddress: String? { remoteAddress?.ipAddress }
}
