#if canImport(Glibc)
import Glibc
#endif
import PicoFlash
import PicoSerial
import PicoUSB
import UF2

/// What the command keys do (`--menu-key`, Ctrl-T then a key): each action ends with one status line on stderr.
extension MonitorSession {
    /// Carries out one key input from the terminal thread; false when the session ends.
    func handleKey(_ input: KeyInput, terminal: TerminalInput) -> Bool {
        switch input {
        case .send(let bytes):
            follower.send(bytes)
            if terminal.echo { console.out(bytes.map { $0 == 0x0D ? 0x0A : $0 }) }
        case .exit:
            stop(.exitKey)
            return false
        case .unknown(let byte):
            let key = byte < 0x20 || byte == 0x7F ? "0x" + String(byte, radix: 16) : String(UnicodeScalar(byte))
            console.status("\(options.menuKey.name) \(key) is no command; \(options.menuKey.name) ? lists them", color: "33")
        case .command(let command):
            if command == .quit {
                stop(.exitKey)
                return false
            }
            perform(command, terminal: terminal)
        }
        return true
    }

    private func perform(_ command: ConsoleCommand, terminal: TerminalInput) {
        let menu = options.menuKey.name
        switch command {
        case .help:
            let keys = ConsoleCommand.allCases.map { "\($0.rawValue) \($0.summary)" }.joined(separator: "; ")
            console.status("\(menu) then: \(keys); \(menu) twice sends \(menu); Ctrl-] quits")
        case .quit:
            break
        case .timestamps:
            let next = cycleTimestamps()
            console.status("timestamps: \(next?.rawValue ?? "off")" + (options.log != nil ? " (screen and log)" : ""))
        case .echo:
            terminal.echo.toggle()
            console.status("local echo: \(terminal.echo ? "on" : "off")")
        case .clear:
            console.out(Array("\u{1B}[H\u{1B}[2J\u{1B}[3J".utf8))
            console.status("screen cleared")
        case .log:
            switch toggleLog() {
            case nil: console.status("no log file: start with --log FILE", color: "33")
            case true?: console.status("log: writing to \(options.log ?? "")")
            case false?: console.status("log: paused")
            }
        case .dtr:
            let raised = !state.withLock { $0.dtrLowered }
            follower.setDTR(!raised)
            state.withLock { $0.dtrLowered = raised }
            console.status(raised ? "DTR lowered (kept low across reconnections)" : "DTR raised")
        case .sendFile:
            sendFile(terminal: terminal)
        case .restart, .bootsel, .flash:
            usbAction(command)
        }
    }

    /// Next timestamp kind for the display and the log: off → wall → iso → epoch → mono → delta → off.
    /// The log's next line is preceded by one that names the new kind (`LogHeader.timestampsChange`).
    private func cycleTimestamps() -> TimestampMode? {
        state.withLock { state in
            let all = TimestampMode.allCases
            let next = state.formatter.options.timestamps.map { all.firstIndex(of: $0)! + 1 < all.count ? all[all.firstIndex(of: $0)! + 1] : nil }
                ?? all.first
            var shown = state.formatter.options
            shown.timestamps = next
            state.formatter = ConsoleFormatter(options: shown, start: start)
            var logged = state.logFormatter.options
            logged.timestamps = next
            state.logFormatter = ConsoleFormatter(options: logged, start: start)
            return next
        }
    }

    private func sendFile(terminal: TerminalInput) {
        guard let path = terminal.readLine(prompt: "picoctl: send file: "), !path.isEmpty else {
            console.status("send file: cancelled")
            return
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { console.error("send file: cannot open \(path): \(String(cString: strerror(errno)))"); return }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        follower.send(bytes)
        console.status("sent \(bytes.count) bytes of \(path)")
    }

    /// `r`, `b` and `f`: the board behind the followed tty, found on USB by its port.
    private func usbAction(_ command: ConsoleCommand) {
        guard let port = state.withLock({ $0.device?.portPath }) else {
            console.error("\(command == .flash ? "flash" : "reboot"): the followed tty is not a USB board")
            return
        }
        do {
            switch command {
            case .flash:
                guard let image else { console.error("flash: no image: give monitor --image FILE (flash --monitor uses its file)"); return }
                console.status("flashing \(image)…")
                console.status(try Self.flash(image, port: port))
            default:
                let context = try USBContext()
                guard let (device, found) = try context.scan().first(where: { $0.board.usb.portPath.description == port }) else {
                    console.error("no board on USB port \(port)")
                    return
                }
                console.status(try RebootCommand.reboot(device, found, to: command == .restart ? .app : .bootsel, context: context).0)
            }
        } catch {
            console.error(FlashAll.message(error))
        }
    }

    /// Flashes `image` onto the board on USB `port` (sent to BOOTSEL first when running) and starts it.
    static func flash(_ image: String, port: String) throws -> String {
        let (_, firmware, report) = try FirmwareCLI.load(image, type: nil, offset: nil, family: nil, validate: true)
        // The checks `flash` makes before touching the board: what will not boot is refused.
        let input = FlashInput(path: image, report: report, firmware: firmware, force: false)
        let board = try BoardOptions.parse(["--port", port])
        let session = try DeviceSession(options: board, announce: { _ in }, onEvent: { _ in }, check: input.check)
        defer { session.close() }
        let (family, memory) = FlashCommand.choose(firmware, for: session.chip)
        var options = FlashOptions()
        options.family = family
        let summary = try session.run { try $0.flash(memory, options: options) }
        return "\(session.name): \(summary.description)" + (summary.rebooted ? "; rebooted" : "")
    }
}
