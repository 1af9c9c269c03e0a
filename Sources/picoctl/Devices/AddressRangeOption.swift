import ArgumentParser
import UF2

/// An address range given as one value: `START..END` (END exclusive) or `START+SIZE`, each number
/// hex (`0x…`) or decimal, underscores allowed.
struct AddressRangeArgument: ExpressibleByArgument, Equatable {
    /// The range.
    var range: AddressRange

    /// Parses `0x10000000..0x10001000` or `0x10000000+0x1000`; nil for anything else.
    init?(argument: String) {
        let start: UInt32, end: UInt64
        if let dots = argument.firstRange(of: "..") {
            guard let s = FirmwareCLI.parseNumber(String(argument[..<dots.lowerBound])),
                  let e = FirmwareCLI.parseNumber(String(argument[dots.upperBound...])) else { return nil }
            start = s; end = UInt64(e)
        } else if let plus = argument.firstIndex(of: "+") {
            guard let s = FirmwareCLI.parseNumber(String(argument[..<plus])),
                  let size = FirmwareCLI.parseNumber(String(argument[argument.index(after: plus)...])) else { return nil }
            start = s; end = UInt64(s) + UInt64(size)
        } else {
            return nil
        }
        guard end > UInt64(start), end <= 1 << 32 else { return nil }
        range = AddressRange(start: start, end: end)
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

/// `--range START..END` / `--range START+SIZE` as the device commands take it.
struct RangeOption: ParsableArguments {
    @Option(name: .customLong("range"),
            help: ArgumentHelp("START..END (END exclusive) or START+SIZE, hex or decimal, e.g. --range 0x10000000..0x10010000 or --range 0x10000000+0x10000.",
                               valueName: "range"))
    var value: AddressRangeArgument?

    /// The range, when given.
    var range: AddressRange? { value?.range }
}

/// `--stay-in-bootsel`, for commands that only read: a board they took out of its program is put
/// back into it (and waited for) unless this is given.
struct StayOption: ParsableArguments {
    @Flag(name: [.customLong("stay-in-bootsel"), .customShort("F")],
          help: "Leave a board that was running a program in BOOTSEL afterwards (as picotool's -F); by default it is rebooted back into its program (as picotool's -f).")
    var stayInBootsel = false
}
