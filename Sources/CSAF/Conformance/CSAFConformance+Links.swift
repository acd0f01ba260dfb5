/// The URLs tests 6.3.6 and 6.3.7 ask to resolve, where the standard lists them. Resolving them needs the network,
/// which the tests themselves never touch: `vigil validate --online` requests them (`ConformanceRun.resolve`).
extension CSAFConformance {
    public struct ReferencedURL: Sendable, Equatable {
        /// 6.3.7 for references of category `self`, 6.3.6 for every other URL.
        public var test: String
        public var path: String
        public var url: String
    }

    public static func referencedURLs(_ document: JSONValue) -> [ReferencedURL] {
        var found: [ReferencedURL] = []
        func add(_ value: JSONValue?, _ path: String, test: String = "6.3.6") {
            if let url = value?.stringValue { found.append(ReferencedURL(test: test, path: path, url: url)) }
        }
        func items(_ value: JSONValue?) -> [JSONValue] {
            if case .array(let list)? = value { return list }
            return []
        }
        func acknowledgments(_ value: JSONValue?, _ path: String) {
            for (i, acknowledgment) in items(value).enumerated() {
                for (j, url) in items(acknowledgment["urls"]).enumerated() { add(url, "\(path)[\(i)].urls[\(j)]") }
            }
        }
        func references(_ value: JSONValue?, _ path: String) {
            for (i, reference) in items(value).enumerated() {
                add(reference["url"], "\(path)[\(i)].url", test: reference["category"]?.stringValue == "self" ? "6.3.7" : "6.3.6")
            }
        }
        func helper(_ product: JSONValue?, _ path: String) {
            guard let helper = product?["product_identification_helper"] else { return }
            let base = path + ".product_identification_helper"
            for (i, url) in items(helper["sbom_urls"]).enumerated() { add(url, "\(base).sbom_urls[\(i)]") }
            for (i, uri) in items(helper["x_generic_uris"]).enumerated() {
                add(uri["namespace"], "\(base).x_generic_uris[\(i)].namespace")
                add(uri["uri"], "\(base).x_generic_uris[\(i)].uri")
            }
        }
        func branches(_ value: JSONValue?, _ path: String) {
            for (i, branch) in items(value).enumerated() {
                helper(branch["product"], "\(path)[\(i)].product")
                branches(branch["branches"], "\(path)[\(i)].branches")
            }
        }
        let header = document["document"]
        acknowledgments(header?["acknowledgments"], "$.document.acknowledgments")
        add(header?["aggregate_severity"]?["namespace"], "$.document.aggregate_severity.namespace")
        add(header?["distribution"]?["tlp"]?["url"], "$.document.distribution.tlp.url")
        references(header?["references"], "$.document.references")
        add(header?["publisher"]?["namespace"], "$.document.publisher.namespace")
        let tree = document["product_tree"]
        branches(tree?["branches"], "$.product_tree.branches")
        for (i, product) in items(tree?["full_product_names"]).enumerated() { helper(product, "$.product_tree.full_product_names[\(i)]") }
        for (i, relationship) in items(tree?["relationships"]).enumerated() {
            helper(relationship["full_product_name"], "$.product_tree.relationships[\(i)].full_product_name")
        }
        for (i, vulnerability) in items(document["vulnerabilities"]).enumerated() {
            let path = "$.vulnerabilities[\(i)]"
            acknowledgments(vulnerability["acknowledgments"], path + ".acknowledgments")
            references(vulnerability["references"], path + ".references")
            for (j, remediation) in items(vulnerability["remediations"]).enumerated() { add(remediation["url"], "\(path).remediations[\(j)].url") }
        }
        return found
    }
}
