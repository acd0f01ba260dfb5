/// Decodes any `Decodable` from a parsed `JSONValue`.
///
/// Errors are `DecodingError`s with the coding path, so a missing field is reported with its JSON path.
public struct JSONValueDecoder {
    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try T(from: TreeDecoder(value: value, path: nil))
    }
}

/// The coding path as a linked list: building it costs one small allocation per level instead of copying an array
/// of existentials for every field; the array form is only built when an error needs it.
final class PathNode: @unchecked Sendable {
    let parent: PathNode?
    let key: any CodingKey
    init(parent: PathNode?, key: any CodingKey) {
        self.parent = parent
        self.key = key
    }
    static func array(_ node: PathNode?) -> [any CodingKey] {
        var keys: [any CodingKey] = []
        var current = node
        while let n = current { keys.append(n.key); current = n.parent }
        return keys.reversed()
    }
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        self.stringValue = "\(intValue)"
        self.intValue = intValue
    }
}

private func mismatch<T>(_ type: T.Type, _ value: JSONValue, _ path: [any CodingKey]) -> DecodingError {
    let expected: String
    switch type {
    case is String.Type: expected = "a string"
    case is Double.Type, is Int.Type, is Float.Type: expected = "a number"
    case is Bool.Type: expected = "a boolean"
    default: expected = "\(type)"
    }
    return DecodingError.typeMismatch(type, .init(codingPath: path, debugDescription: "expected \(expected), found \(value.typeName)"))
}

@inline(__always) private func decodeScalar<T>(_ type: T.Type, _ value: JSONValue, _ path: @autoclosure () -> [any CodingKey]) throws -> T? {
    switch (type, value) {
    case (is String.Type, .string(let s)): return (s as! T)
    case (is Double.Type, .number(let d)): return (d as! T)
    case (is Bool.Type, .bool(let b)): return (b as! T)
    case (is Int.Type, .number(let d)):
        guard let i = Int(exactly: d) else {
            throw DecodingError.dataCorrupted(.init(codingPath: path(), debugDescription: "expected an integer, found \(d)"))
        }
        return (i as! T)
    default: return nil
    }
}

final class TreeDecoder: Decoder {
    let value: JSONValue
    let path: PathNode?
    var codingPath: [any CodingKey] { PathNode.array(path) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(value: JSONValue, path: PathNode?) {
        self.value = value
        self.path = path
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else {
            throw DecodingError.typeMismatch([String: Any].self, .init(codingPath: codingPath, debugDescription: "expected an object, found \(value.typeName)"))
        }
        return KeyedDecodingContainer(KeyedContainer<Key>(members: members, path: path))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else {
            throw DecodingError.typeMismatch([Any].self, .init(codingPath: codingPath, debugDescription: "expected an array, found \(value.typeName)"))
        }
        return UnkeyedContainer(elements: elements, path: path)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleContainer(value: value, path: path) }
}

struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [JSONMember]
    let path: PathNode?
    var codingPath: [any CodingKey] { PathNode.array(path) }
    func child(_ key: Key) -> PathNode { PathNode(parent: path, key: key) }
    func childPath(_ key: Key) -> [any CodingKey] { codingPath + [key] }

    var allKeys: [Key] { members.compactMap { Key(stringValue: $0.key) } }

    @inline(__always) func find(_ key: Key) -> JSONValue? {
        let name = key.stringValue
        for member in members.reversed() where member.key == name { return member.value }
        return nil
    }

    func contains(_ key: Key) -> Bool { find(key) != nil }

    func require(_ key: Key) throws -> JSONValue {
        guard let value = find(key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "required field \"\(key.stringValue)\" is missing"))
        }
        return value
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let value = find(key) else { return true }
        return value == .null
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let value = try require(key)
        if let scalar: T = try decodeScalar(type, value, childPath(key)) { return scalar }
        if type == String.self || type == Double.self || type == Bool.self || type == Int.self {
            throw mismatch(type, value, childPath(key))
        }
        return try T(from: TreeDecoder(value: value, path: child(key)))
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let value = find(key), value != .null else { return nil }
        if let scalar: T = try decodeScalar(type, value, childPath(key)) { return scalar }
        if type == String.self || type == Double.self || type == Bool.self || type == Int.self {
            throw mismatch(type, value, childPath(key))
        }
        return try T(from: TreeDecoder(value: value, path: child(key)))
    }

    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        let value = try require(key)
        guard case .string(let s) = value else { throw mismatch(type, value, childPath(key)) }
        return s
    }

    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
        guard let value = find(key), value != .null else { return nil }
        guard case .string(let s) = value else { throw mismatch(type, value, childPath(key)) }
        return s
    }

    func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
        let value = try require(key)
        guard case .number(let d) = value else { throw mismatch(type, value, childPath(key)) }
        return d
    }

    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? {
        guard let value = find(key), value != .null else { return nil }
        guard case .number(let d) = value else { throw mismatch(type, value, childPath(key)) }
        return d
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
        let value = try require(key)
        guard case .bool(let b) = value else { throw mismatch(type, value, childPath(key)) }
        return b
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try TreeDecoder(value: try require(key), path: child(key)).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try TreeDecoder(value: try require(key), path: child(key)).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { TreeDecoder(value: .object(members), path: path) }
    func superDecoder(forKey key: Key) throws -> any Decoder {
        TreeDecoder(value: find(key) ?? .null, path: child(key))
    }
}

struct UnkeyedContainer: UnkeyedDecodingContainer {
    let elements: [JSONValue]
    let path: PathNode?
    var codingPath: [any CodingKey] { PathNode.array(path) }
    var currentIndex = 0

    init(elements: [JSONValue], path: PathNode?) {
        self.elements = elements
        self.path = path
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    mutating func next() throws -> (JSONValue, PathNode) {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(JSONValue.self, .init(codingPath: codingPath, debugDescription: "the array has no more elements"))
        }
        defer { currentIndex += 1 }
        return (elements[currentIndex], PathNode(parent: path, key: AnyKey(intValue: currentIndex)))
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, elements[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: String.Type) throws -> String {
        let (value, path) = try next()
        guard case .string(let s) = value else { throw mismatch(type, value, PathNode.array(path)) }
        return s
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (value, path) = try next()
        if let scalar: T = try decodeScalar(type, value, PathNode.array(path)) { return scalar }
        if type == String.self || type == Double.self || type == Bool.self || type == Int.self {
            throw mismatch(type, value, PathNode.array(path))
        }
        return try T(from: TreeDecoder(value: value, path: path))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let (value, path) = try next()
        return try TreeDecoder(value: value, path: path).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (value, path) = try next()
        return try TreeDecoder(value: value, path: path).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (value, path) = try next()
        return TreeDecoder(value: value, path: path)
    }
}

struct SingleContainer: SingleValueDecodingContainer {
    let value: JSONValue
    let path: PathNode?
    var codingPath: [any CodingKey] { PathNode.array(path) }

    func decodeNil() -> Bool { value == .null }

    func decode(_ type: String.Type) throws -> String {
        guard case .string(let s) = value else { throw mismatch(type, value, codingPath) }
        return s
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if let scalar: T = try decodeScalar(type, value, codingPath) { return scalar }
        if type == String.self || type == Double.self || type == Bool.self || type == Int.self {
            throw mismatch(type, value, codingPath)
        }
        return try T(from: TreeDecoder(value: value, path: path))
    }
}
