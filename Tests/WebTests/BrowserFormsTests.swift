import Foundation
import Synchronization
import Storage
import Store
import Testing
import VigilTestSupport
@testable import Web

/// The administration pages driven by a real browser: Selenium with Debian's `chromium` and `chromium-driver` (nothing
/// downloaded) against the real `vigil serve`, as an admin would use them. It signs in, invites a member, adds a
/// webhook channel pointed at a loopback receiver, sends it a test message that the receiver gets and verifies,
/// previews and adds a watch, saves the report settings, adds a loopback provider by URL, syncs it and finds its
/// advisories on the home page, and sets the organisation's digest clock and base URL (after a refused URL). Then
/// axe-core 4 (from PyPI's `axe-playwright-python`) checks each page for serious or critical accessibility
/// violations, and each form is laid out on a phone's 390-pixel screen.
@Suite("Real browser: administration forms", .serialized)
struct BrowserFormsTests {
    struct Outcome: Decodable {
        var invitation: String
        var secret: String
        var testOutcome: String
        var preview: String
        var watchNotice: String
        var reportNotice: String
        var syncOutcome: String
        var homeHasProviderAdvisory: Bool
        var baseURLError: String
        var organisationNotice: String
        var nextDaily: String
        var axe: [String: [Violation]]
        var phone: [String: PhoneLayout]
    }

    /// A page laid out on a phone's screen.
    struct PhoneLayout: Decodable {
        var viewport: Int
        var pageWidth: Int
        /// Form controls and labels (outside scrolling tables) that reach past the screen's edges.
        var outside: [String]
        /// The innermost elements past the right edge (outside scrolling tables).
        var wide: [String]
    }

    struct Violation: Decodable, CustomStringConvertible {
        var id: String
        var impact: String?
        var help: String
        var nodes: Int
        var targets: [String]
        var description: String { "\(id) (\(impact ?? "?"), \(nodes) nodes: \(targets.joined(separator: "; "))): \(help)" }
    }

    @Test("an admin invites a member, adds and tests a webhook, adds a watch, saves report and organisation settings, adds and syncs a provider; axe finds nothing serious")
    func administerInChromium() async throws {
        // Chromium, Selenium, axe, vigil serve and a provider at once load both cores for seconds: not beside a test
        // whose assertions need the machine unsaturated.
        try await HeavyLoad.exclusive { try await administerInChromiumAlone() }
    }

    func administerInChromiumAlone() async throws {
        let chromium = try Executables.find("chromium", hint: "install Debian's chromium (apt-get install chromium); scripts/test does")
        let driver = try Executables.find("chromedriver", hint: "install Debian's chromium-driver (apt-get install chromium-driver); scripts/test does")
        let python = try Executables.find("python3", hint: "install Python 3; scripts/test makes .venv with selenium and axe-playwright-python")
        // axe-core 4 as PyPI's axe-playwright-python carries it (found without importing Playwright, which is not installed).
        let axe = try Executables.run(python, arguments: ["-c", "import importlib.util, os; spec = importlib.util.find_spec('axe_playwright_python'); "
                                                          + "print(os.path.join(list(spec.submodule_search_locations)[0], 'axe.min.js'))"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(FileManager.default.fileExists(atPath: axe), "axe-core is missing at \(axe)")

        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("vigil.sqlite").path
        let store = try await Fixtures.store(importing: [try Fixtures.cisaAdvisory], at: database)
        let plant = try #require(try await store.organisation(named: "Plant A", create: true))
        try await AccountFixtures.member("alice@plant.example", of: plant, role: .admin, store: store)
        await store.close()

        let receiver = try HookRecorder()
        defer { receiver.stop() }
        let server = try await VigilServer.start(database: database, arguments: ["--no-sync"])
        defer { server.stop() }
        let script = directory.appendingPathComponent("forms.py")
        try Data(Self.script.utf8).write(to: script)
        // A provider on loopback: CISA's folder from ../shared, three of its documents listed.
        let mirror = try ProviderMirror.cisa()
        mirror.only(SourcesAdminTests.listed)
        let lines = Mutex<String>("")
        try await mirror.serve { mirror in
            let output = try await Executables.runAsync(python, arguments: [
                script.path, server.baseURL, "alice@plant.example", AccountFixtures.password, "http://127.0.0.1:\(receiver.port)/hook",
                axe, chromium, driver, directory.appendingPathComponent("profile").path, mirror.metadataURL,
            ])
            lines.withLock { $0 = output }
        }
        let line = try #require(lines.withLock { $0 }.split(separator: "\n").last { $0.hasPrefix("{") })
        let outcome = try JSONDecoder().decode(Outcome.self, from: Data(line.utf8))

        // The invitation: a one-time link, and the person is a viewer of Plant A who has not chosen a password yet.
        #expect(outcome.invitation.hasPrefix(server.baseURL + "/password/"), "\(outcome.invitation)")
        let check = try SQLiteStore(path: database)
        let nina = try #require(try await check.user(email: "nina@plant.example"))
        #expect(nina.passwordHash == nil)
        #expect(try await check.membership(userID: nina.id, organisationID: plant.id)?.role == .viewer)

        // The test message: the page said it arrived, and the receiver verified it with the secret the page showed once.
        #expect(outcome.testOutcome.hasPrefix("The test message to soc was delivered"), "\(outcome.testOutcome)")
        let requests = try receiver.requests()
        try #require(requests.count == 1)
        #expect(requests[0].event == "test")
        #expect(requests[0].isSigned(with: outcome.secret), "\(requests[0].signature)")

        #expect(outcome.preview.hasPrefix("In the last 90 days this watch would have matched"), "\(outcome.preview)")
        #expect(outcome.watchNotice.contains("The watch is added"))
        #expect(try await check.watches(organisationID: plant.id).map(\.draft.value) == ["Phoenix Contact"])
        #expect(outcome.reportNotice.contains("The report settings are saved"))
        #expect(try await check.reportSettings(organisationID: plant.id)?.framework == "nerc-cip")
        // The provider added by its URL and synced from the page: its advisories are on the home page.
        #expect(outcome.syncOutcome.hasPrefix("CISA: 3 listed in"), "\(outcome.syncOutcome)")
        // The organisation's settings, after the browser was told why an ftp:// address is refused.
        #expect(outcome.baseURLError.hasPrefix("The base URL is where people open Vigil"), "\(outcome.baseURLError)")
        #expect(outcome.organisationNotice == "The settings are saved.", "\(outcome.organisationNotice)")
        #expect(outcome.nextDaily.contains(" 06:00 Europe/Berlin ("), "\(outcome.nextDaily)")
        let settings = try #require(try await check.organisationSettings(organisationID: plant.id))
        #expect(settings.timeZone == "Europe/Berlin" && settings.digestHour == 6 && settings.baseURL == "https://vigil.plant.example")
        #expect(outcome.homeHasProviderAdvisory)
        #expect(try await check.sources().first { $0.url.hasPrefix("http://127.0.0.1:") }?.documentsHeld == 3)
        await check.close()

        #expect(outcome.phone.count == 7)
        for (page, layout) in outcome.phone.sorted(by: { $0.key < $1.key }) {
            #expect(layout.viewport == 390, "\(page): the phone's width was not applied")
            #expect(layout.pageWidth <= layout.viewport, "\(page) scrolls sideways on a phone: \(layout.pageWidth) px wide, for \(layout.wide)")
            #expect(layout.outside.isEmpty, "\(page) on a phone: \(layout.outside)")
        }
        #expect(outcome.axe.count == 9)
        for (page, violations) in outcome.axe.sorted(by: { $0.key < $1.key }) {
            let serious = violations.filter { $0.impact == "serious" || $0.impact == "critical" }
            #expect(serious.isEmpty, "\(page): \(serious)")
        }
    }

    static let script = #"""
import json, sys
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

base, email, password, hook, axe_path, chromium, chromedriver, profile, provider = sys.argv[1:10]
options = webdriver.ChromeOptions()
options.binary_location = chromium
for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--window-size=1200,1600", "--user-data-dir=" + profile]:
    options.add_argument(argument)
# The driver's path is given, so Selenium Manager downloads nothing.
driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
driver.set_page_load_timeout(30)
result = {}

def find(by, value):
    # After a submit the next page may still be on its way (a test message waits for the alert service).
    return WebDriverWait(driver, 30).until(expected_conditions.presence_of_element_located((by, value)))

def submit(form_action):
    driver.find_element(By.CSS_SELECTOR, "form[action='%s'] button[type=submit]:not([name=preview])" % form_action).click()

try:
    driver.get(base + "/login")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(password)
    submit("/login")
    # Signed in once the browser has left the sign-in page (its session cookie set): only then the next page.
    WebDriverWait(driver, 30).until(lambda d: "/login" not in d.current_url and d.execute_script("return document.readyState") == "complete")

    driver.get(base + "/settings/members")
    driver.find_element(By.ID, "invite-email").send_keys("nina@plant.example")
    Select(driver.find_element(By.ID, "invite-role")).select_by_value("viewer")
    submit("/settings/members")
    result["invitation"] = find(By.ID, "invitation-link").text

    driver.get(base + "/settings/channels")
    driver.find_element(By.ID, "channel-name").send_keys("soc")
    Select(driver.find_element(By.ID, "channel-kind")).select_by_value("webhook")
    driver.find_element(By.ID, "channel-target").send_keys(hook)
    submit("/settings/channels")
    result["secret"] = find(By.ID, "webhook-secret").text
    row = driver.find_element(By.XPATH, "//tr[th[starts-with(normalize-space(.), 'soc')]]")
    row.find_element(By.XPATH, ".//button[normalize-space(.)='Send a test message']").click()
    result["testOutcome"] = find(By.ID, "test-outcome").text

    driver.get(base + "/watches/new")
    Select(driver.find_element(By.ID, "rule")).select_by_value("vendor")
    driver.find_element(By.ID, "value").send_keys("Phoenix Contact")
    driver.find_element(By.CSS_SELECTOR, "button[name=preview]").click()
    result["preview"] = find(By.ID, "preview-count").text
    submit("/watches")
    result["watchNotice"] = find(By.CSS_SELECTOR, "p.notice").text

    driver.get(base + "/reports")
    Select(driver.find_element(By.ID, "settings-framework")).select_by_value("nerc-cip")
    submit("/reports/settings")
    result["reportNotice"] = find(By.CSS_SELECTOR, "p.notice").text

    driver.get(base + "/settings/sources")
    find(By.ID, "source-target").send_keys(provider)
    submit("/settings/sources/lookup")
    find(By.ID, "follow").click()
    # vigil serve follows its built-in catalogue (CISA among it, unreachable here): the row is the one with this URL.
    row = find(By.XPATH, "//tr[.//code[normalize-space(.)='%s']]" % provider)
    row.find_element(By.XPATH, ".//button[normalize-space(.)='Sync now']").click()
    result["syncOutcome"] = find(By.ID, "sync-outcome").text
    driver.get(base + "/")
    result["homeHasProviderAdvisory"] = "ICSA-24-004-01" in driver.page_source

    axe = open(axe_path).read()
    result["axe"] = {}

    def check(name):
        # axe-core over the page the browser shows now.
        driver.execute_script(axe)
        result["axe"][name] = driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            axe.run(document, {resultTypes: ['violations']})
              .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length, targets: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary).slice(0, 5)}))))
              .catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: 0, targets: []}]));
        """)

    # The organisation's settings: a refused base URL keeps what was typed and says why beside the field (checked by
    # axe as shown), then the clock and address are saved.
    driver.get(base + "/settings/organisation")
    Select(find(By.ID, "org-time-zone")).select_by_value("Europe/Berlin")
    Select(driver.find_element(By.ID, "org-digest-hour")).select_by_value("6")
    driver.find_element(By.ID, "org-base-url").send_keys("ftp://vigil.plant.example")
    submit("/settings/organisation")
    result["baseURLError"] = find(By.ID, "base-url-error").text
    check("/settings/organisation (refused)")
    field = driver.find_element(By.ID, "org-base-url")
    field.clear()
    field.send_keys("https://vigil.plant.example")
    submit("/settings/organisation")
    result["organisationNotice"] = find(By.CSS_SELECTOR, "p.notice").text
    result["nextDaily"] = find(By.ID, "next-daily").text

    for path in ["/settings/members", "/settings/channels", "/settings/sources", "/settings/organisation", "/watches", "/watches/new",
                 "/reports", "/account"]:
        driver.get(base + path)
        check(path)

    # On a phone's screen (390 CSS pixels, as an iPhone 14's): the page does not scroll sideways (tables scroll in
    # their own frame) and no field, label or button of a form reaches past the screen's edge.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True})
    result["phone"] = {}
    for path in ["/settings/members", "/settings/channels", "/settings/sources", "/settings/organisation", "/watches/new", "/reports",
                 "/account"]:
        driver.get(base + path)
        result["phone"][path] = driver.execute_script("""
            const width = document.documentElement.clientWidth;
            const outside = [...document.querySelectorAll('form input, form select, form button, form textarea, form label')]
              .filter(e => !e.closest('.table-wrap') && e.type !== 'hidden')
              .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.right > width + 1 || r.left < -1); })
              .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' spans ' + Math.round(e.getBoundingClientRect().left) + '–' + Math.round(e.getBoundingClientRect().right));
            // What makes a page wider than the screen, for the failure message: the innermost elements past its edge.
            const wide = [...document.body.querySelectorAll('*')]
              .filter(e => !(e.parentElement && e.parentElement.closest('.table-wrap')) && e.getBoundingClientRect().right > width + 1)
              .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > width + 1))
              .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '') + ' ends at ' + Math.round(e.getBoundingClientRect().right));
            return {viewport: width, pageWidth: document.documentElement.scrollWidth, outside: outside.slice(0, 8), wide: wide.slice(0, 5)};
        """)
except Exception:
    # Where the browser was, for the failure message.
    print("at " + driver.current_url + ": " + driver.find_element(By.TAG_NAME, "body").text[:1500], file=sys.stderr)
    raise
finally:
    driver.quit()
print(json.dumps(result))
"""#
}
