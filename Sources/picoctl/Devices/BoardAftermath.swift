import PicoFlash
import PicoUSB

extension BoardAftermath {
    /// The part of `picoctl --help` that says which commands change a board's mode or contents.
    static let helpText = """
    BOARDS:
      Arguments and images are checked before a board is touched.
      flash: writes flash, then starts the new program (--no-reboot,
        --stay-in-bootsel or -F: stays in BOOTSEL). erase: erases flash and leaves
        the board in BOOTSEL.
      flash --dry-run, save, verify, info --device: change nothing; a running
        program they send to BOOTSEL is rebooted back into it (picotool -f);
        --stay-in-bootsel or -F leaves it in BOOTSEL (picotool -F).
      list --programs reads only boards already in BOOTSEL.
      After a reboot into the program, commands wait until the board is back
        and say what it came back as (--no-wait: until it left BOOTSEL);
        back in BOOTSEL is exit 8.

    """
}

/// What a device command did to the board's mode, for its text and JSON: left alone, left in
/// BOOTSEL on request, or rebooted into its program and seen coming back (or not).
struct BoardAftermath {
    /// What was done.
    enum Action {
        /// The board was in BOOTSEL and stays there (nothing was done to its mode).
        case untouched
        /// The board was taken out of its program and left in BOOTSEL (`--stay-in-bootsel`, `--no-reboot`).
        case stayedInBootsel
        /// The board was told to start its program; what came back.
        case rebooted(BoardReturn)
    }

    /// The board's mode when the command started.
    var before: PicoMode
    /// What was done.
    var action: Action

    /// `running`, `bootsel`, `no-usb` (left BOOTSEL, no USB device came back) or `left` (not waited for).
    var state: String {
        switch action {
        case .untouched, .stayedInBootsel: "bootsel"
        case .rebooted(.running): "running"
        case .rebooted(.bootsel): "bootsel"
        case .rebooted(.noUSB): "no-usb"
        case .rebooted(.left): "left"
        }
    }

    /// `{"was": "app", "now": "running", "product": ..., "serial": ..., "port": ..., "tty": ...}`.
    var json: JSONValue {
        var fields: [String: JSONValue] = ["was": .string(before.rawValue), "now": .string(state),
                                           "product": .null, "serial": .null, "port": .null, "tty": .null]
        if case .rebooted(.running(let device)) = action {
            fields["product"] = device.usb.product.map(JSONValue.string) ?? .null
            fields["serial"] = device.usb.serialNumber.map(JSONValue.string) ?? .null
            fields["port"] = .string(device.usb.portPath.description)
            fields["tty"] = device.ttyPath.map(JSONValue.string) ?? .null
        }
        return .object(fields)
    }

    /// The sentence about the board, or nil when nothing was done to its mode.
    var sentence: String? {
        switch action {
        case .untouched: nil
        case .stayedInBootsel: "left in BOOTSEL, as asked"
        case .rebooted(.running(let device)):
            "running: \(device.usb.product ?? "a program") (serial \(device.usb.serialNumber ?? "-")"
                + (device.ttyPath.map { ", \($0)" } ?? "") + ") at port \(device.usb.portPath)"
        case .rebooted(.bootsel(_, let left)):
            left ? "came back in BOOTSEL: the program did not start" : "still in BOOTSEL: it did not leave after the reboot request"
        case .rebooted(.noUSB): "left BOOTSEL; no USB device (the program has no USB stdio)"
        case .rebooted(.left): "left BOOTSEL (its return was not waited for)"
        }
    }

    /// True when the board was told to start its program and is in BOOTSEL.
    var didNotBoot: Bool {
        if case .rebooted(.bootsel) = action { return true }
        return false
    }
}

extension DeviceSession {
    /// How long the old enumeration may take to leave after a reboot request (its delay included).
    static let leaveTimeout: Duration = .seconds(5)

    /// After the board was told to start its program: closes the session and waits (hotplug, at most
    /// `reappearTimeout`) until the old BOOTSEL device has left and, unless `waitForReturn` is false,
    /// until the board is back; says what it came back as. `note` receives the waiting line.
    func awaitReturn(waitForReturn: Bool = true, note: ((String) -> Void)? = DeviceSession.waitingNote) throws -> BoardAftermath {
        close()
        return try Self.awaitReturn(of: board, before: tookFromApp == nil ? .bootsel : .app, context: context,
                                    waitForReturn: waitForReturn, note: note)
    }

    /// Waits until `board`, told to start its program a moment ago, has left and (unless
    /// `waitForReturn` is false) is back; what it came back as. `before`: its mode when the command
    /// started. When the board has been gone two seconds with nothing back, `note` gets one line that
    /// says what is awaited (nothing on the bus tells a program without USB from a slow one sooner).
    static func awaitReturn(of board: PicoDevice, before: PicoMode, context: USBContext,
                            waitForReturn: Bool = true, note: ((String) -> Void)? = waitingNote) throws -> BoardAftermath {
        let back = try context.waitForReturn(of: board, leaveTimeout: leaveTimeout, timeout: reappearTimeout,
                                             waitForReturn: waitForReturn, waiting: {
            note?("\(board.usb.portPath): left BOOTSEL; waiting up to \(reappearTimeout.components.seconds) s for its program to show on USB "
                  + "(one without USB stdio shows nothing)")
        })
        return BoardAftermath(before: before, action: .rebooted(back))
    }

    /// The waiting line's default place: stderr when it is a terminal (a status line, like the bars).
    static var waitingNote: ((String) -> Void)? { Terminal.stderrIsTTY ? { Terminal.error($0) } : nil }

    /// The board left in BOOTSEL: untouched when it was there already, else taken out of its program.
    var leftInBootsel: BoardAftermath {
        BoardAftermath(before: tookFromApp == nil ? .bootsel : .app, action: tookFromApp == nil ? .untouched : .stayedInBootsel)
    }

    /// For commands that only read: a board this session took out of its program is rebooted back
    /// into it and waited for, unless `stay`. Returns what was done, for the output.
    func returnToProgram(stay: Bool, waitForReturn: Bool = true) throws -> BoardAftermath {
        guard tookFromApp != nil, !stay else { return leftInBootsel }
        try run { try $0.reboot(.application, delayMilliseconds: 100) }
        return try awaitReturn(waitForReturn: waitForReturn)
    }

    /// Runs a read-only command's `body`, then puts a board taken out of its program back into it
    /// (see `returnToProgram`). When `body` fails, the board is still put back before the failure is
    /// reported. A board that does not come back running is a failure (exit 8).
    func readOnly<T>(stay: Bool, announce: (String) -> Void = { Terminal.error($0) },
                     _ body: (DeviceSession) throws -> T) throws -> (T, BoardAftermath) {
        let result: T
        do { result = try body(self) } catch {
            if tookFromApp != nil && !stay, let after = try? returnToProgram(stay: false), let text = after.sentence {
                announce("\(name): \(text)")
            }
            throw error
        }
        let after = try returnToProgram(stay: stay)
        if after.didNotBoot { throw DeviceFailure.notBooted("\(name): \(after.sentence!)") }
        return (result, after)
    }
}
