import ArgumentParser
import UF2

/// `--range START END` as the device commands take it (hex or decimal, END exclusive).
struct RangeOption: ParsableArguments {
    @Option(name: .customLong("range"), parsing: .upToNextOption,
            help: ArgumentHelp("START END (hex or decimal, END exclusive), e.g. --range 0x10000000 0x10010000.", valueName: "address"))
    var bounds: [String] = []

    func validate() throws {
        guard !bounds.isEmpty else { return }
        guard bounds.count == 2, let start = FirmwareCLI.parseNumber(bounds[0]), let end = FirmwareCLI.parseNumber(bounds[1]) else {
            throw ValidationError("--range takes two addresses, START and END, such as --range 0x10000000 0x10010000")
        }
        if end <= start { throw ValidationError("--range END (\(bounds[1])) must be above START (\(bounds[0]))") }
    }

    /// The range, when given.
    var range: AddressRange? {
        guard bounds.count == 2, let start = FirmwareCLI.parseNumber(bounds[0]), let end = FirmwareCLI.parseNumber(bounds[1]) else { return nil }
        return AddressRange(start: start, end: UInt64(end))
    }
}

/// `--stay-in-bootsel`, for commands that only read: a board they took out of its program is put
/// back into it (and waited for) unless this is given.
struct StayOption: ParsableArguments {
    @Flag(name: [.customLong("stay-in-bootsel"), .customShort("F")],
          help: "Leave a board that was running a program in BOOTSEL afterwards (as picotool's -F); by default it is rebooted back into its program (as picotool's -f).")
    var stayInBootsel = false
}
