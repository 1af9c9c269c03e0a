/// The one JSON style of every command: snake_case keys; `"schema": JSONStyle.schema` in every
/// document and every JSON line; addresses as `"0x%08x"` strings; byte values in messages as `0x00`.
/// The documents are described by the JSON Schema files in docs/schema/.
enum JSONStyle {
    /// The version of the documents' shape; raised when a key changes meaning or goes away.
    static let schema = 1

    /// `0x10000000`: at least eight hex digits (`0x100000000` for the end of the address space).
    static func address<T: BinaryInteger>(_ value: T) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    /// `0x0a`: a byte as two hex digits.
    static func byte(_ value: UInt8) -> String {
        let digits = String(value, radix: 16)
        return digits.count == 1 ? "0x0" + digits : "0x" + digits
    }
}

extension JSONValue {
    /// An address as `"0x%08x"`.
    static func address<T: BinaryInteger>(_ value: T) -> JSONValue { .string(JSONStyle.address(value)) }
}

extension Terminal {
    /// One JSON line of an event or result object, with `"schema"` added (sorted keys).
    static func jsonLine(_ value: JSONValue) -> String {
        guard case .object(var fields) = value else { return jsonLine(value as any Encodable) }
        if fields["schema"] == nil { fields["schema"] = .int(JSONStyle.schema) }
        return jsonLine(JSONValue.object(fields) as any Encodable)
    }
}
