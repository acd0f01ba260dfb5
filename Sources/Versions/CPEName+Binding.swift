extension CPEName {
    /// How `init(parsing:mode:)` treats a formatted string that breaks NISTIR 7695 in a way whose meaning is clear.
    public enum ParsingMode: Sendable, Equatable {
        /// Reject it, as NISTIR 7695 requires.
        case strict
        /// Accept punctuation a formatted string should have quoted with a backslash, as vendors sometimes publish
        /// it (NI: `vision_builder_for_automated_inspection_(vbai)`); binding writes it quoted.
        case lenient
    }

    /// Reads a CPE name from its CPE 2.3 formatted string (`cpe:2.3:a:ni:labview:24.*:*:*:*:*:*:*:*`, NISTIR 7695
    /// §6.2) or its URI binding (`cpe:/a:ni:labview:24.1`, §6.1, also CPE 2.2's names). Letters are lowercased.
    public init(parsing text: String, mode: ParsingMode = .strict) throws(CPEError) {
        let bytes = Array(text.utf8)
        if bytes.starts(with: Array("cpe:2.3:".utf8)) {
            try self.init(formattedStringBytes: bytes[8...], text: text, mode: mode)
        } else if bytes.count >= 5, bytes[..<5].map(CPEValueUnits.lowercase) == Array("cpe:/".utf8) {
            try self.init(uriBytes: bytes[5...], text: text)
        } else {
            throw CPEError(.unknownPrefix, "name", "\"\(text)\" starts with neither \"cpe:2.3:\" (formatted string) nor \"cpe:/\" (URI)")
        }
    }

    /// The CPE 2.3 formatted string binding (NISTIR 7695 §6.2.2).
    public var formattedString: String {
        "cpe:2.3:" + attributes.map(Self.formattedStringValue).joined(separator: ":")
    }

    /// The URI binding (NISTIR 7695 §6.1.2): the seven CPE 2.2 components, the five extended attributes packed into
    /// the edition with `~` when any of them is not ANY, trailing empty components dropped.
    public var uri: String {
        var edition = Self.uriValue(self.edition)
        let extended = [swEdition, targetSoftware, targetHardware, other].map(Self.uriValue)
        if extended.contains(where: { !$0.isEmpty }) {
            edition = "~" + ([edition] + extended).joined(separator: "~")
        }
        var components = [part, vendor, product, version, update].map(Self.uriValue) + [edition, Self.uriValue(language)]
        while components.last == "" { components.removeLast() }
        return "cpe:/" + components.joined(separator: ":")
    }

    // MARK: formatted string

    private init(formattedStringBytes bytes: ArraySlice<UInt8>, text: String, mode: ParsingMode) throws(CPEError) {
        // Split on the colons that are not quoted with a backslash.
        var components: [[UInt8]] = [[]]
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == 0x5C, index + 1 < bytes.endIndex {
                components[components.count - 1] += [byte, bytes[index + 1]]
                index += 2
                continue
            }
            if byte == 0x3A { components.append([]) } else { components[components.count - 1].append(byte) }
            index += 1
        }
        guard components.count == 11 else {
            throw CPEError(.wrongComponentCount, "name", "\"\(text)\" has \(components.count) attributes after \"cpe:2.3:\", a formatted string has 11")
        }
        var values: [CPEAttributeValue] = []
        for (position, component) in components.enumerated() {
            values.append(try Self.unbindFormattedString(component, attribute: Self.attributeNames[position], mode: mode))
        }
        self.init(checked: values)
    }

    private static func unbindFormattedString(_ bytes: [UInt8], attribute: String, mode: ParsingMode) throws(CPEError) -> CPEAttributeValue {
        let text = String(decoding: bytes, as: UTF8.self)
        if bytes == [0x2A] { return .any }
        if bytes == [0x2D] { return .notApplicable }
        guard !bytes.isEmpty else { throw CPEError(.emptyValue, attribute, "the value is empty; write * for ANY or - for NA") }
        var units: [CPEValueUnits.Unit] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case 0x5C:
                guard index + 1 < bytes.count, CPEValueUnits.isPrintable(bytes[index + 1]) else {
                    throw CPEError(.invalidCharacter, attribute, "\"\(text)\" has a backslash not followed by the character it quotes")
                }
                units.append(.literal(CPEValueUnits.lowercase(bytes[index + 1])))
                index += 1
            case 0x2A: units.append(.multiple)
            case 0x3F: units.append(.single)
            case _ where CPEValueUnits.isAlphanumeric(byte) || byte == 0x2D || byte == 0x2E || byte == 0x5F:
                units.append(.literal(CPEValueUnits.lowercase(byte)))
            case _ where mode == .lenient && CPEValueUnits.isPrintable(byte):
                units.append(.literal(byte))
            default:
                throw CPEError(.invalidCharacter, attribute,
                               "\"\(text)\" holds \"\(String(decoding: [byte], as: UTF8.self))\", which a formatted string must quote with a backslash")
            }
            index += 1
        }
        let value = CPEValueUnits(units: units)
        try value.checkWildcards(attribute: attribute, text: text)
        try value.checkAttribute(attribute)
        return value.attributeValue
    }

    private static func formattedStringValue(_ value: CPEAttributeValue) -> String {
        switch value {
        case .any: return "*"
        case .notApplicable: return "-"
        case .value(let text):
            // Every stored value was checked when the name was made.
            guard let value = try? CPEValueUnits(logical: text, attribute: "value") else { return text }
            // A value that is just a hyphen keeps its backslash so that it does not read back as NA.
            if value.units == [.literal(0x2D)] { return "\\-" }
            var bytes: [UInt8] = []
            for unit in value.units {
                switch unit {
                case .multiple: bytes.append(0x2A)
                case .single: bytes.append(0x3F)
                case .literal(let byte) where CPEValueUnits.isAlphanumeric(byte) || byte == 0x2D || byte == 0x2E || byte == 0x5F:
                    bytes.append(byte)
                case .literal(let byte): bytes += [0x5C, byte]
                }
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    // MARK: URI

    private init(uriBytes bytes: ArraySlice<UInt8>, text: String) throws(CPEError) {
        var components = bytes.split(separator: 0x3A, omittingEmptySubsequences: false).map(Array.init)
        guard components.count <= 7 else {
            throw CPEError(.wrongComponentCount, "name", "\"\(text)\" has \(components.count) components after \"cpe:/\", a URI has at most 7")
        }
        while components.count < 7 { components.append([]) }
        var values: [CPEAttributeValue] = []
        for (position, component) in components.enumerated() where position != 5 {
            let attribute = position == 6 ? "language" : Self.attributeNames[position]
            values.append(try Self.unbindURI(component, attribute: attribute))
        }
        // The edition holds the five extended attributes when it starts with "~" (NISTIR 7695 §6.1.3.3).
        let edition = components[5]
        var extended: [CPEAttributeValue]
        if edition.first == 0x7E {
            let packed = edition.split(separator: 0x7E, omittingEmptySubsequences: false).dropFirst().map(Array.init)
            guard packed.count == 5 else {
                throw CPEError(.invalidEdition, "edition",
                               "\"\(String(decoding: edition, as: UTF8.self))\" starts with \"~\" but does not pack five attributes (~edition~sw_edition~target_sw~target_hw~other)")
            }
            extended = []
            for (offset, field) in packed.enumerated() {
                extended.append(try Self.unbindURI(field, attribute: ["edition", "sw_edition", "target_sw", "target_hw", "other"][offset]))
            }
        } else {
            extended = [try Self.unbindURI(edition, attribute: "edition"), .any, .any, .any, .any]
        }
        self.init(checked: Array(values[0..<5]) + [extended[0], values[5]] + extended[1...])
    }

    private static func unbindURI(_ bytes: [UInt8], attribute: String) throws(CPEError) -> CPEAttributeValue {
        let text = String(decoding: bytes, as: UTF8.self)
        if bytes.isEmpty { return .any }
        if bytes == [0x2D] { return .notApplicable }
        var units: [CPEValueUnits.Unit] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x25 {
                guard index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) else {
                    throw CPEError(.invalidEncoding, attribute, "\"\(text)\" has a \"%\" not followed by two hex digits")
                }
                let decoded = high << 4 | low
                switch decoded {
                case 0x01: units.append(.single)
                case 0x02: units.append(.multiple)
                case _ where CPEValueUnits.isPrintable(decoded) && !CPEValueUnits.isAlphanumeric(decoded):
                    units.append(.literal(decoded))
                default:
                    throw CPEError(.invalidEncoding, attribute, "\"\(text)\" encodes a character a CPE value cannot hold (%\(String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self)))")
                }
                index += 3
                continue
            }
            guard CPEValueUnits.isAlphanumeric(byte) || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E else {
                throw CPEError(.invalidCharacter, attribute,
                               "\"\(text)\" holds \"\(String(decoding: [byte], as: UTF8.self))\", which a CPE URI must percent-encode")
            }
            units.append(.literal(CPEValueUnits.lowercase(byte)))
            index += 1
        }
        let value = CPEValueUnits(units: units)
        try value.checkWildcards(attribute: attribute, text: text)
        try value.checkAttribute(attribute)
        return value.attributeValue
    }

    private static func uriValue(_ value: CPEAttributeValue) -> String {
        switch value {
        case .any: return ""
        case .notApplicable: return "-"
        case .value(let text):
            // Every stored value was checked when the name was made.
            guard let value = try? CPEValueUnits(logical: text, attribute: "value") else { return text }
            if value.units == [.literal(0x2D)] { return "%2d" }
            let hex = Array("0123456789abcdef".utf8)
            var bytes: [UInt8] = []
            for unit in value.units {
                switch unit {
                case .multiple: bytes += Array("%02".utf8)
                case .single: bytes += Array("%01".utf8)
                case .literal(let byte) where CPEValueUnits.isAlphanumeric(byte) || byte == 0x2D || byte == 0x2E || byte == 0x5F:
                    bytes.append(byte)
                case .literal(let byte): bytes += [0x25, hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
                }
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}
