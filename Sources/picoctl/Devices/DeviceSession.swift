#if canImport(Glibc)
import Glibc
#endif
import PicoBoot
import PicoFlash
import PicoSerial
import PicoUSB
import UF2

/// One device command's connection to one board in BOOTSEL: selection, the trip from a running
/// app to BOOTSEL, the PICOBOOT transport, the executor, and release on every exit.
final class DeviceSession {
    /// How long a board may take to come back after a reboot (re-enumeration, udev permissions).
    static let reappearTimeout: Duration = .seconds(10)

    /// The libusb session.
    let context: USBContext
    /// The board, as last seen in BOOTSEL.
    let board: PicoDevice
    /// The chip, from the BOOTSEL ids.
    let chip: Chip
    /// The open PICOBOOT interface.
    let transport: PicobootUSBTransport
    /// The protocol connection over it.
    let connection: PicobootConnection
    /// The flash executor; `onEvent` is the renderer's.
    let executor: FlashExecutor
    private var interruptKey: Int?
    /// The board's name in the inventory, for messages.
    var inventoryName: String?
    /// The running program this session sent to BOOTSEL, as it was on the bus; nil when the board was in BOOTSEL.
    var tookFromApp: PicoDevice?

    /// Selects the board, sends a running app to BOOTSEL through its reset interface if needed,
    /// and opens PICOBOOT. `announce` receives one-line notes for stderr. `check` judges the
    /// command's input against the board's chip before anything is done to the board (when the
    /// chip is unknown until BOOTSEL, as for a white-labelled app, it runs there).
    convenience init(options: BoardOptions, context: USBContext? = nil, announce: (String) -> Void,
                     onEvent: @escaping (FlashEvent) -> Void, check: (Chip) throws -> Void = { _ in }) throws {
        let names = try Inventory.loadOrExit(explicit: options.inventory)
        let context = try context ?? USBContext()
        var (device, board) = try options.resolve(in: context, ttyFallback: true)
        let selectedName = names.name(of: board)
        if let chip = board.chip { try check(chip) }
        let app = board.mode == .app ? board : nil
        if board.mode == .app {
            announce("\(board.usb.portPath): \(board.identity) runs a program; rebooting it into BOOTSEL through its reset interface")
            (device, board) = try Self.rebootToBootsel(device: device, board: board, context: context, announce: announce)
        }
        try self.init(device: device, board: board, onEvent: onEvent)
        tookFromApp = app
        inventoryName = selectedName ?? names.name(of: board)
        if let app, app.chip == nil {
            do { try check(chip) } catch {
                _ = try? returnToProgram(stay: false, waitForReturn: false)
                throw error
            }
        }
    }

    /// Opens PICOBOOT on a board already in BOOTSEL.
    init(device: USBDevice, board: PicoDevice, onEvent: @escaping (FlashEvent) -> Void = { _ in }) throws {
        context = device.context
        guard let chip = board.chip else {
            throw DeviceFailure.device("the board at \(board.usb.portPath) is in BOOTSEL but its chip is unknown (VID:PID \(BoardTable.hex4(board.usb.vendorID)):\(BoardTable.hex4(board.usb.productID)))")
        }
        self.board = board
        self.chip = chip
        transport = try PicobootUSBTransport(device: device)
        connection = PicobootConnection(transport: transport)
        executor = FlashExecutor(connection: connection, chip: chip, onEvent: onEvent)
        // RP2040: picoctl's RAM helper (block erases, CRC checks, unique id); used when it passes its self-check.
        if chip.hasExec { executor.helper = PicobootRAMHelper.rp2040() }
        interruptKey = Interruption.shared.register(transport)
        try Self.settle(connection)
    }

    /// Sends an app to BOOTSEL and waits (hotplug, no fixed sleep) for the same board to come back.
    /// The reset interface is tried first; if its request fails, the 1200-baud touch on the app's
    /// CDC tty (when it has one) does the same job.
    static func rebootToBootsel(device: USBDevice, board: PicoDevice, context: USBContext,
                                announce: (String) -> Void = { Terminal.error($0) }) throws -> (USBDevice, PicoDevice) {
        do throws(PicoUSBError) {
            if let problem = board.accessProblem { throw problem }
            try ResetInterface.rebootToBootsel(device)
        } catch {
            guard let tty = board.ttyPath else { throw error }
            announce("\(board.usb.portPath): the reset interface failed (\(error.code.name)); trying the 1200-baud touch on \(tty)")
            do { try SerialPort.touch1200(tty) } catch let serial {
                throw DeviceFailure.device("cannot send \(board.identity) to BOOTSEL: reset interface: \(error); 1200-baud touch: \(serial)")
            }
        }
        guard let found = try context.waitForBoard(board, timeout: reappearTimeout, accept: { $0.mode == .bootsel }) else {
            throw DeviceFailure.device("\(board.identity) did not come back in BOOTSEL within \(reappearTimeout) after the reset request; "
                                       + "hold BOOTSEL while plugging it in, then retry")
        }
        if let problem = found.1.accessProblem { throw DeviceFailure.usb(problem) }
        return found
    }

    /// A board that has only just enumerated may fail its first request; the initial interface
    /// reset is tried a few times (100 ms apart) before the failure counts.
    static func settle(_ connection: PicobootConnection, attempts: Int = 3) throws {
        var attempt = 1
        while true {
            let failure: PicobootError
            do {
                try connection.reset()
                return
            } catch {
                failure = error
            }
            if attempt >= attempts || failure.isDisconnect { throw failure }
            attempt += 1
            usleep(100_000)
        }
    }

    /// Runs executor work; a flash-layer failure becomes a `DeviceFailure` that also carries the
    /// USB evidence (operation, device, endpoint, fix) the transport recorded.
    func run<T>(_ body: (FlashExecutor) throws -> T) throws -> T {
        do {
            return try body(executor)
        } catch let error as FlashError {
            throw DeviceFailure.flash(error, usb: transport.failuresSinceSuccess.first ?? transport.lastError)
        }
    }

    /// Resets and releases the interface and closes the device; idempotent.
    func close() {
        transport.close()
        if let key = interruptKey { Interruption.shared.remove(key) }
        interruptKey = nil
    }

    deinit { close() }

    /// `1-3.2 (rp2040, port 1-3.2)`: the board for messages.
    var name: String { (inventoryName.map { "\($0) " } ?? "") + "\(board.usb.portPath) (\(chip.name), \(board.identity))" }
}

extension DeviceFailure {
    /// Runs a flash-layer check; its failure becomes a `DeviceFailure` (exit 2 for bad input).
    static func checking(_ body: () throws -> Void) throws {
        do { try body() } catch let error as FlashError { throw flash(error) }
    }

    /// A flash-layer failure with its exit status: input problems 2, verify 1, device and USB 5–7.
    static func flash(_ error: FlashError, usb: PicoUSBError? = nil) -> DeviceFailure {
        var text = error.description + (error.fix.map { "; fix: \($0)" } ?? "")
        if case .device(let picoboot) = error, picoboot.transportError != nil, let usb {
            text += "\n  USB: \(usb)"
        }
        switch error {
        case .familyMismatch, .emptyImage, .outsideMemory, .mixedFlashAndRAM, .beyondFlash, .pastEndOfFlash, .invalidRange, .placement:
            return .invalidInput(text)
        case .verifyFailed, .unsupported, .contentsNeeded:
            return .failed(text)
        case .unexpectedAnswer:
            return .device(text)
        case .device(let picoboot):
            switch picoboot.transportError {
            case .disconnected?: return .disconnected(text)
            case .accessDenied?: return .accessDenied(text)
            default: return .device(text)
            }
        }
    }
}
