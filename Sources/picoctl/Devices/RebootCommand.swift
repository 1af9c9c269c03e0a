import ArgumentParser
import Dispatch
import FoundationEssentials
import PicoFlash
import PicoUSB

extension CPUArchitecture: ExpressibleByArgument {}

/// `picoctl reboot [--bootsel|--app]`: start the program in flash, or go to BOOTSEL, without touching the board.
struct RebootCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reboot",
        abstract: "Reboot a board into its program (default) or into BOOTSEL.",
        discussion: """
        A board in BOOTSEL is rebooted over PICOBOOT; a running pico-sdk program through its reset interface. The command waits until the board is back and says what it came back as: running (USB product, serial), BOOTSEL (exit 8: the program did not start), or no USB device (a program without USB stdio). With --bootsel it waits until the board is in BOOTSEL.
        """)

    /// Where to reboot to.
    enum Target: String, EnumerableFlag {
        case app, bootsel
        static func help(for value: Target) -> ArgumentHelp? {
            value == .app ? "Start the program in flash (the default)." : "Enter BOOTSEL (USB boot mode)."
        }
    }

    @Flag var target: Target = .app

    @OptionGroup var board: BoardOptions

    @Flag(help: "Print the result as one JSON object on stdout (one per board with --all).")
    var json = false

    @Flag(help: "Reboot every board (narrowed by --serial/--port/--bus) at once; exit 1 if any failed.")
    var all = false

    @Option(help: "RP2350 in BOOTSEL: boot on the arm or riscv cores (the bootrom refuses one that OTP disables).")
    var cpu: CPUArchitecture?

    @OptionGroup(title: "General")
    var general: GeneralOptions

    @Flag(help: "Return once the board has left its current mode instead of waiting to see it running.")
    var noWait = false

    func run() throws {
        try DeviceFailure.reporting {
            let names = try Inventory.loadOrExit(explicit: board.inventory)
            let context = try USBContext()
            if all { return try rebootAll(context, names: names) }
            let (device, found) = try board.resolve(in: context, ttyFallback: target == .bootsel)
            let (result, after) = try Self.reboot(device, found, to: target, context: context, cpu: cpu, noWait: noWait)
            if json {
                Terminal.output(Terminal.jsonLine(JSONValue.object([
                    "event": .string("rebooted"), "target": .string(target.rawValue), "port": .string(found.usb.portPath.description),
                    "identity": .string(found.identity.description), "board": after?.json ?? .null])))
            } else {
                Terminal.output(result)
            }
            if let after, after.didNotBoot { throw DeviceFailure.notBooted("\(found.usb.portPath): \(after.sentence!)") }
        }
    }

    /// Reboots one board; returns the sentence for the user and, for a reboot into the program, what
    /// the board came back as (waited for, hotplug, unless `noWait`).
    static func reboot(_ device: USBDevice, _ found: PicoDevice, to target: Target, context: USBContext,
                       cpu: CPUArchitecture? = nil, noWait: Bool = false) throws -> (String, BoardAftermath?) {
        if cpu != nil, found.mode != .bootsel || target != .app {
            throw DeviceFailure.invalidInput("--cpu needs a board in BOOTSEL rebooted into its program (REBOOT2); \(found.usb.portPath) is not")
        }
        switch (found.mode, target) {
        case (.app, .bootsel):
            let (_, back) = try DeviceSession.rebootToBootsel(device: device, board: found, context: context)
            return ("\(found.identity) is in BOOTSEL at \(back.usb.portPath)", nil)
        case (.app, .app):
            try ResetInterface.rebootToApp(device)
            let after = try DeviceSession.awaitReturn(of: found, before: .app, context: context, waitForReturn: !noWait)
            return ("\(found.identity) was told to restart its program; \(after.sentence!)", after)
        case (_, .bootsel):
            return ("\(found.usb.portPath) (\(found.identity)) is already in BOOTSEL", nil)
        case (_, .app):
            if let problem = found.accessProblem { throw DeviceFailure.usb(problem) }
            let session = try DeviceSession(device: device, board: found)
            defer { session.close() }
            try session.run { try $0.reboot(.application, architecture: cpu) }
            let after = try session.awaitReturn(waitForReturn: !noWait)
            return ("\(session.name) was told to start its program" + (cpu.map { " on the \($0.rawValue) cores" } ?? "")
                    + "; \(after.sentence!)", after)
        }
    }

    /// `--all`: every matching board at once, one thread each on the shared session; a line per board.
    func rebootAll(_ context: USBContext, names: Inventory) throws {
        let selection = FleetSelection(board.selector, names: names)
        let scanned = try context.scan().filter { $0.board.isFlashable && selection.matches($0.board) }
        guard !scanned.isEmpty else {
            throw DeviceFailure.noBoard("no Pico board in BOOTSEL or running a pico-sdk program was found (see `picoctl list`)")
        }
        let failures = FlashAll.Counter()
        let group = DispatchGroup()
        for (device, found) in scanned {
            group.enter()
            let name = names.name(of: found)
            DetachedThread.detach { [target, json, noWait] in
                defer { group.leave() }
                var fields: [String: JSONValue] = ["event": .string("rebooted"), "target": .string(target.rawValue),
                                                   "port": .string(found.usb.portPath.description),
                                                   "identity": .string(found.identity.description),
                                                   "name": name.map { .string($0) } ?? .null]
                let prefix = name.map { "\($0): " } ?? ""
                do {
                    let (sentence, after) = try Self.reboot(device, found, to: target, context: context, cpu: cpu, noWait: noWait)
                    fields["board"] = after?.json ?? .null
                    if let after, after.didNotBoot { throw DeviceFailure.notBooted(after.sentence!) }
                    if !json { Terminal.output(prefix + sentence) }
                } catch {
                    failures.increment()
                    fields["event"] = .string("failed")
                    fields["error"] = .string(FlashAll.message(error))
                    if !json { Diagnostics.error("\(prefix)\(found.usb.portPath): \(FlashAll.message(error))") }
                }
                if json { Terminal.output(Terminal.jsonLine(JSONValue.object(fields))) }
            }
        }
        group.wait()
        if failures.value > 0 {
            throw DeviceFailure.failed("\(failures.value) of \(scanned.count) boards could not be rebooted")
        }
    }
}
