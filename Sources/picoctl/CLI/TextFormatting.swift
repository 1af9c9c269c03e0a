#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Text helpers for the CLI's output, without Foundation (keeps ICU and its data out of the process).

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (horizontal white space; line breaks stay).
    var trimmingSpaces: String {
        let blank: (Character) -> Bool = { $0.isWhitespace && !$0.isNewline }
        return String(drop(while: blank).reversed().drop(while: blank).reversed())
    }
}

extension String {
    /// Padded with spaces on the right, or cut, to exactly `length` characters.
    func padded(toLength length: Int) -> String {
        count >= length ? String(prefix(length)) : self + String(repeating: " ", count: length - count)
    }

    /// `printf`-style formatting of numbers (`%.2f`, `%04X`) by the C library.
    init(cFormat format: String, _ arguments: any CVarArg...) {
        var buffer = [CChar](repeating: 0, count: 64)
        while true {
            let needed = buffer.withUnsafeMutableBufferPointer { out in
                withVaList(arguments) { vsnprintf(out.baseAddress, out.count, format, $0) }
            }
            if needed < 0 { self = ""; return }
            if Int(needed) < buffer.count { break }
            buffer = [CChar](repeating: 0, count: Int(needed) + 1)
        }
        self = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
