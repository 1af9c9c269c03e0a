import ArgumentParser
import PicoFlash
import PicoUSB

/// Board selection shared by every device command: `--serial` (or an inventory name), `--port`,
/// `--bus`/`--address`, `--wait` for a board to be plugged in, `--inventory`.
struct BoardOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The board's serial number or unique id (16 hex digits for an app or an RP2350), or its name in the inventory (default: `board` in the config file).",
                               valueName: "id"), completion: Completions.boardNames)
    var serial: String?

    @Option(help: ArgumentHelp("The USB port path, as in `picoctl list` (e.g. 1-3.2); stable across reboots.",
                               valueName: "path"), completion: Completions.portPaths)
    var port: String?

    @Option(help: "The USB bus number (with --address).")
    var bus: UInt8?

    @Option(help: "The USB device address on --bus; changes whenever the board re-enumerates.")
    var address: UInt8?

    @Option(help: ArgumentHelp("When no board matches yet, wait this long for one to be plugged in (hotplug).",
                               valueName: "seconds"))
    var wait: Double?

    @Option(help: ArgumentHelp("The inventory file naming boards (default: $PICOCTL_INVENTORY, else ~/.config/picoctl/boards.toml).",
                               valueName: "path"), completion: .file(extensions: ["toml"]))
    var inventory: String?

    /// Replaces an inventory name given to --serial (or --port) by what it stands for.
    mutating func validate() throws {
        let portName = port.flatMap { USBPortPath($0) == nil ? $0 : nil }
        if serial != nil || portName != nil {
            let names: Inventory
            names = try Inventory.loadOrExit(explicit: inventory)
            let resolved = serial.flatMap { names.target(named: $0) } ?? portName.flatMap { names.target(named: $0) }
            switch resolved {
            case .serial(let id)?: serial = id; if portName != nil { port = nil }
            case .port(let path)?: port = path.description; serial = serial.flatMap { names.target(named: $0) == nil ? $0 : nil }
            case nil: break
            }
        }
        if let port, USBPortPath(port) == nil {
            throw ValidationError("--port \(port) is not a USB port path such as 1-3.2 (bus, dash, port numbers separated by dots)")
        }
        if address != nil && bus == nil { throw ValidationError("--address needs --bus") }
        if let wait, !(wait > 0 && wait <= 3600) { throw ValidationError("--wait takes seconds between 0 and 3600") }
    }

    /// The selection as the library's value.
    var selector: BoardSelector {
        BoardSelector(serial: serial, port: port.flatMap(USBPortPath.init), bus: bus, address: address)
    }

    /// The one board the options select, with its libusb device; refuses (exit 4) with the
    /// candidates listed when none or several match. A board this user may not open is refused
    /// (exit 6), except, with `ttyFallback`, an app whose CDC tty can still take the 1200-baud touch.
    func resolve(in context: USBContext, ttyFallback: Bool = false) throws -> (device: USBDevice, board: PicoDevice) {
        if selectsNothing, Config.current.board != nil { return try configured().resolve(in: context, ttyFallback: ttyFallback) }
        var scanned = try context.scan()
        if let wait, !scanned.contains(where: { $0.board.isFlashable && selector.matches($0.board) }) {
            let selector = selector
            if try context.waitForDevice(timeout: .milliseconds(Int(wait * 1000)), where: { $0.isFlashable && selector.matches($0) }) != nil {
                scanned = try context.scan()
            }
        }
        switch BoardSelection(selecting: selector, from: scanned.map(\.board)) {
        case .one(let board):
            guard let pair = scanned.first(where: { $0.board == board }) else { throw DeviceFailure.noBoard("the board vanished") }
            if let problem = board.accessProblem, !(ttyFallback && board.mode == .app && board.ttyPath != nil) {
                throw DeviceFailure.usb(problem)
            }
            return pair
        case .none(let candidates):
            // An RP2040 in BOOTSEL shares its serial: a unique id (or a name standing for one) is looked for in its flash.
            if let serial, let pair = UniqueIDProbe.find(serial, selector: selector, in: scanned) { return pair }
            if candidates.isEmpty {
                throw DeviceFailure.noBoard("no Pico board in BOOTSEL or running a pico-sdk program was found (see `picoctl list`)")
            }
            throw DeviceFailure.noBoard("no board matches \(selector); boards present:\n" + BoardTable.render(candidates, style: .plain))
        case .several(let boards):
            throw DeviceFailure.noBoard("\(boards.count) boards match \(selector); choose one with --serial or --port:\n"
                                        + BoardTable.render(boards, style: .plain))
        }
    }
}

/// A device command's failure, with the exit status it maps to (see `ExitStatus`).
enum DeviceFailure: Error, CustomStringConvertible {
    /// No board, or several and no choice (exit 4).
    case noBoard(String)
    /// A USB failure with its operation, device and fix (exit 5, 6 or 7).
    case usb(PicoUSBError)
    /// The board did something unexpected (exit 5).
    case device(String)
    /// The operation ran and failed, such as a verify mismatch (exit 1).
    case failed(String)
    /// The input breaks a rule, such as an image for another chip (exit 2).
    case invalidInput(String)
    /// The board went away in the middle (exit 7).
    case disconnected(String)
    /// The OS refused access (exit 6).
    case accessDenied(String)
    /// The board was told to start its program and came back in BOOTSEL (exit 8).
    case notBooted(String)

    /// The exit status of this failure.
    var status: ExitStatus {
        switch self {
        case .noBoard: .noDevice
        case .usb(let error):
            switch error.code {
            case .access: .accessDenied
            case .noDevice: .disconnected
            default: .deviceError
            }
        case .device: .deviceError
        case .failed: .failure
        case .invalidInput: .invalidInput
        case .disconnected: .disconnected
        case .accessDenied: .accessDenied
        case .notBooted: .notBooted
        }
    }

    /// The sentence the user reads.
    var description: String {
        switch self {
        case .noBoard(let text), .device(let text), .failed(let text), .invalidInput(let text), .disconnected(let text),
             .accessDenied(let text), .notBooted(let text): text
        case .usb(let error): error.description
        }
    }

    /// Runs a device command's body; any failure is reported on stderr and becomes its exit code.
    /// After Ctrl-C the body unwinds with a transfer error; the interruption is what is reported (exit 130).
    static func reporting(_ body: () throws -> Void) throws {
        do {
            try body()
            if let message = Interruption.shared.message {
                Terminal.error(message)
                throw Interruption.shared.interruptedExitCode()
            }
        } catch let code as ExitCode {
            throw code
        } catch where Interruption.shared.message != nil {
            Terminal.error(Interruption.shared.message!)
            throw Interruption.shared.interruptedExitCode()
        } catch let failure as DeviceFailure {
            throw failure.report()
        } catch let error as PicoUSBError {
            throw DeviceFailure.usb(error).report()
        } catch let error as FlashError {
            throw DeviceFailure.flash(error).report()
        }
    }

    /// Prints the failure to stderr and returns the exit code to throw.
    func report() -> ExitCode {
        if case .usb(let error) = self, let fix = error.fix {
            Diagnostics.error(String(error.description.dropLast("; fix: \(fix)".count)), fix: fix)
        } else {
            Diagnostics.error(description)
        }
        return status.exitCode
    }
}
