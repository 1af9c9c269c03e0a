/// A JSON value whose object keys keep the order they were written in, so documents are stable.
enum FirmwareJSON {
    case null
    case bool(Bool)
    case int(Int)
    case string(String)
    case array([FirmwareJSON])
    case object([(String, FirmwareJSON)])

    /// A string, or null.
    static func optional(_ text: String?) -> FirmwareJSON { text.map(FirmwareJSON.string) ?? .null }
    /// A number, or null.
    static func optional(_ value: Int?) -> FirmwareJSON { value.map(FirmwareJSON.int) ?? .null }
    /// `"0x10000000"`.
    static func hex(_ value: UInt32) -> FirmwareJSON { .string(JSONStyle.address(value)) }
    /// `"0x10000000"`, or null.
    static func hex(_ value: UInt32?) -> FirmwareJSON { value.map { hex($0) } ?? .null }
    /// `"0x100000000"` for a 64-bit end address.
    static func hex64(_ value: UInt64) -> FirmwareJSON { .string(JSONStyle.address(value)) }
    /// `("schema", 1)`: the first key of every document.
    static var schema: (String, FirmwareJSON) { ("schema", .int(JSONStyle.schema)) }

    /// The document as compact text with two-space indentation, ending without a newline.
    func rendered(indent: String = "") -> String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .string(let s): return FirmwareJSON.quote(s)
        case .array(let items):
            if items.isEmpty { return "[]" }
            let inner = indent + "  "
            return "[\n" + items.map { inner + $0.rendered(indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        case .object(let pairs):
            if pairs.isEmpty { return "{}" }
            let inner = indent + "  "
            return "{\n" + pairs.map { inner + FirmwareJSON.quote($0.0) + ": " + $0.1.rendered(indent: inner) }.joined(separator: ",\n") + "\n" + indent + "}"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let h = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
