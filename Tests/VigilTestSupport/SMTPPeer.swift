import Foundation

/// A real SMTP server for tests and benchmarks: Python's aiosmtpd on a loopback port, run as a `PythonPeer`. It is the
/// one SMTP peer script of the package; what a test needs of it is chosen with `Options`: plain SMTP, STARTTLS or
/// implicit TLS, authentication (PLAIN and LOGIN, or LOGIN only), recipients refused by prefix, a delay before each
/// 250 reply (read again for every message, so a test can change it), a count of connections.
///
/// Every message is recorded as one JSON line (`received()`) as soon as the server has it, before any reply delay:
/// the envelope, whether it came over TLS and authenticated, the headers a test looks at, each text part, and the
/// time it arrived (for the benchmarks' latency figures). Needs `pip install aiosmtpd` (scripts/test installs it).
public final class SMTPPeer: @unchecked Sendable {
    public enum Security: String, Sendable { case plain, startTLS = "starttls", implicitTLS = "implicit" }
    public enum Auth: String, Sendable { case none, plainAndLogin = "plain-login", loginOnly = "login-only" }

    public struct Options: Sendable {
        /// The port to listen on; nil: a free one, chosen by the script (read it from `port`).
        public var port: Int?
        public var security: Security = .plain
        /// A PEM certificate and key, for STARTTLS and implicit TLS.
        public var certificatePath: String?
        public var keyPath: String?
        public var auth: Auth = .none
        public var user = ""
        public var password = ""
        /// RCPT TO addresses starting with this are refused (550 5.1.1).
        public var refusedRecipientPrefix: String?
        /// Seconds to wait after recording a message before the 250 reply; nil: none (and `setReplyDelay` does nothing).
        public var replyDelay: Double?
        /// Count the connections the server accepts (aiosmtpd's own start-up probe not counted): `connectionCount()`.
        public var countConnections = false
        /// The Python interpreter (a path, or a name looked up on PATH); nil: `Executables.find("python3")`, which
        /// prefers the checkout's `.venv`.
        public var python: String?
        /// Record only each message's arrival and the `BENCH-<tag>-` tags its text carries, without parsing it (the
        /// benchmarks: the server's own work per message then stays below what it measures).
        public var arrivalsOnly = false

        public init(port: Int? = nil, security: Security = .plain, certificatePath: String? = nil, keyPath: String? = nil,
                    auth: Auth = .none, user: String = "", password: String = "", refusedRecipientPrefix: String? = nil,
                    replyDelay: Double? = nil, countConnections: Bool = false, python: String? = nil, arrivalsOnly: Bool = false) {
            self.port = port
            self.security = security
            self.certificatePath = certificatePath
            self.keyPath = keyPath
            self.auth = auth
            self.user = user
            self.password = password
            self.refusedRecipientPrefix = refusedRecipientPrefix
            self.replyDelay = replyDelay
            self.countConnections = countConnections
            self.python = python
            self.arrivalsOnly = arrivalsOnly
        }
    }

    /// One message, as Python's email package read it.
    public struct Received: Decodable, Sendable {
        public struct Part: Decodable, Sendable {
            public var type: String
            public var content: String
        }
        public var mailFrom: String
        public var recipients: [String]
        public var tls: Bool
        public var authenticated: Bool
        public var authMechanism: String?
        public var subject: String
        public var messageID: String
        public var listUnsubscribe: String?
        public var from: String
        public var to: String
        public var cc: String?
        public var contentType: String
        /// Every text part.
        public var parts: [Part]
        /// Every attachment, its bytes in base64 (nil in `arrivalsOnly` records).
        public var attachments: [Attachment]?
        public struct Attachment: Decodable, Sendable {
            public var filename: String?
            public var type: String
            public var base64: String
            public var bytes: [UInt8] { Array(Data(base64Encoded: base64) ?? Data()) }
        }
        /// The plain-text body ("" when there is none).
        public var text: String
        /// The client's address and port: one value for every message that came over one connection.
        public var peer: String
        /// When the server had the whole message (Unix seconds).
        public var arrived: Double
    }

    public let folder: URL
    public let port: Int
    private let peer: PythonPeer
    private let receivedPath: URL
    private let delayPath: URL
    private let connectionsPath: URL

    /// Starts the server; its files (script, log, received.jsonl) go into `folder`, named after `name`.
    public init(folder: URL, name: String = "smtp", options: Options = Options()) throws {
        self.folder = folder
        receivedPath = folder.appendingPathComponent("\(name).received.jsonl")
        delayPath = folder.appendingPathComponent("\(name).delay")
        connectionsPath = folder.appendingPathComponent("\(name).connections")
        var arguments = ["--port", String(options.port ?? 0), "--out", receivedPath.path, "--security", options.security.rawValue,
                         "--auth", options.auth.rawValue, "--user", options.user, "--password", options.password]
        if let certificate = options.certificatePath { arguments += ["--cert", certificate] }
        if let key = options.keyPath { arguments += ["--key", key] }
        if let prefix = options.refusedRecipientPrefix { arguments += ["--refuse-prefix", prefix] }
        if let delay = options.replyDelay {
            try Data(String(delay).utf8).write(to: delayPath)
            arguments += ["--delay-file", delayPath.path]
        }
        if options.countConnections { arguments += ["--connections", connectionsPath.path] }
        if options.arrivalsOnly { arguments.append("--arrivals-only") }
        let python: String?
        if let given = options.python {
            python = given.contains("/") ? given : try Executables.find(given, hint: "install Python 3 with `pip install aiosmtpd`")
        } else {
            python = nil
        }
        do {
            let fixed = arguments
            peer = try PythonPeer(name: name, script: Self.script, folder: folder, python: python) { ready in fixed + ["--ready", ready] }
        } catch let error as TestSetupError where error.description.contains("aiosmtpd") {
            throw TestSetupError("the Python package aiosmtpd is missing or failed: run `python3 -m pip install aiosmtpd` "
                                 + "(scripts/test installs it). \(error.description)")
        }
        let written = (try? String(contentsOfFile: peer.readyPath, encoding: .utf8)) ?? ""
        guard let port = Int(written.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            peer.stop()
            throw TestSetupError("the SMTP peer wrote no port to \(peer.readyPath): \(written)")
        }
        self.port = port
    }

    /// The messages so far, in the order they arrived. (A line still being written is left for the next call.)
    public func received() throws -> [Received] {
        guard let text = try? String(contentsOf: receivedPath, encoding: .utf8) else { return [] }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        if !text.hasSuffix("\n"), !lines.isEmpty { lines.removeLast() }
        let decoder = JSONDecoder()
        return try lines.map { try decoder.decode(Received.self, from: Data($0.utf8)) }
    }

    /// Changes the wait before each 250 reply, from the next message on (started with `Options.replyDelay` only).
    public func setReplyDelay(_ seconds: Double) {
        try? Data(String(seconds).utf8).write(to: delayPath)
    }

    /// How many connections the server accepted (with `Options.countConnections`; aiosmtpd's start-up probe not counted).
    public func connectionCount() -> Int {
        guard let text = try? String(contentsOf: connectionsPath, encoding: .utf8) else { return 0 }
        return text.split(separator: "\n").count
    }

    /// Ends the server (closing its standard input); see `PythonPeer.stop`.
    public func stop() {
        peer.stop()
    }

    /// The server. It runs until its standard input closes (the test or benchmark that started it ended, or died).
    public static let script = #"""
import argparse, asyncio, base64, email, email.policy, json, os, re, socket, ssl, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=0)
parser.add_argument("--ready", required=True)
parser.add_argument("--out", required=True)
parser.add_argument("--security", choices=["plain", "starttls", "implicit"], default="plain")
parser.add_argument("--cert")
parser.add_argument("--key")
parser.add_argument("--auth", choices=["none", "plain-login", "login-only"], default="none")
parser.add_argument("--user", default="")
parser.add_argument("--password", default="")
parser.add_argument("--refuse-prefix")
parser.add_argument("--delay-file")
parser.add_argument("--connections")
parser.add_argument("--arrivals-only", action="store_true")
args = parser.parse_args()

# One write per record on an O_APPEND descriptor: a reader never sees half of one record and the next.
BENCH_TAG = re.compile(rb"BENCH-[A-Za-z0-9]+-")
out = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if args.refuse_prefix and address.startswith(args.refuse_prefix):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        arrived = time.time()
        raw = envelope.original_content or envelope.content
        if not isinstance(raw, bytes):
            raw = str(raw).encode()
        if args.arrivals_only:
            tags = " ".join(sorted(set(m.decode() for m in BENCH_TAG.findall(raw))))
            os.write(out, (json.dumps({"mailFrom": envelope.mail_from, "recipients": envelope.rcpt_tos, "tls": False,
                                       "authenticated": False, "subject": "", "messageID": "", "from": "", "to": "",
                                       "contentType": "", "parts": [], "text": tags, "peer": "", "arrived": arrived}) + "\n").encode())
            return "250 OK queued as VIGIL1"
        message = email.message_from_bytes(raw, policy=email.policy.default)
        parts, text, attachments = [], "", []
        try:
            for part in message.walk():
                if part.get_content_maintype() == "text" and part.get_content_disposition() != "attachment":
                    parts.append({"type": part.get_content_type(), "content": part.get_content()})
            for part in message.iter_attachments():
                attachments.append({"filename": part.get_filename(), "type": part.get_content_type(),
                                    "base64": base64.b64encode(part.get_payload(decode=True) or b"").decode()})
            body = message.get_body(preferencelist=("plain",))
            text = body.get_content() if body else ""
        except Exception as error:
            print(f"could not read a message: {error!r}", file=sys.stderr, flush=True)
        record = {
            "mailFrom": envelope.mail_from, "recipients": envelope.rcpt_tos,
            "tls": session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
            "authenticated": bool(session.authenticated), "authMechanism": getattr(server, "vigil_mechanism", None),
            "subject": str(message["Subject"]), "messageID": str(message["Message-ID"]),
            "listUnsubscribe": message["List-Unsubscribe"] and str(message["List-Unsubscribe"]),
            "from": str(message["From"]), "to": str(message["To"]), "cc": message["Cc"] and str(message["Cc"]),
            "contentType": message.get_content_type(), "parts": parts, "text": text, "attachments": attachments,
            "peer": "%s:%s" % tuple(session.peer[:2]), "arrived": arrived,
        }
        os.write(out, (json.dumps(record) + "\n").encode())
        if args.delay_file:
            with open(args.delay_file) as f:
                await asyncio.sleep(float(f.read()))
        return "250 OK queued as VIGIL1"

def authenticator(server, session, envelope, mechanism, auth_data):
    server.vigil_mechanism = mechanism
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == args.user.encode() and auth_data.password == args.password.encode()
    return AuthResult(success=ok, handled=False)

port = args.port
if port == 0:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()

context = None
if args.security != "plain":
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)

kwargs = {"hostname": "127.0.0.1", "port": port, "enable_SMTPUTF8": True}
if args.security == "starttls":
    kwargs.update(tls_context=context, require_starttls=True)
elif args.security == "implicit":
    kwargs.update(ssl_context=context)
if args.auth != "none":
    # Implicit TLS is encrypted from the start, but aiosmtpd only counts STARTTLS as TLS for auth_require_tls.
    kwargs.update(authenticator=authenticator, auth_require_tls=(args.security != "implicit"), auth_required=True)
    if args.auth == "login-only":
        kwargs.update(auth_exclude_mechanism=["PLAIN"])

class CountingController(Controller):
    # factory() makes one SMTP protocol object per accepted connection.
    counting = False

    def factory(self):
        if self.counting and args.connections:
            with open(args.connections, "a") as f:
                f.write("connection\n")
        return super().factory()

controller = CountingController(Handler(), **kwargs)
controller.start()
# start() has made and answered its own probe connection; count only the client's from here on.
controller.counting = True
with open(args.ready + ".tmp", "w") as f:
    f.write(str(port))
os.rename(args.ready + ".tmp", args.ready)
# Run until our standard input closes (the test ended, or died, which closes it too): no orphaned servers.
sys.stdin.read()
os._exit(0)
"""#
}
