import ArgumentParser
import PicoFlash
import PicoUSB

/// `picoctl reboot [--bootsel|--app]`: start the program in flash, or go to BOOTSEL, without touching the board.
struct RebootCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reboot",
        abstract: "Reboot a board into its program (default) or into BOOTSEL.",
        discussion: """
        A board in BOOTSEL is rebooted over PICOBOOT; a running pico-sdk program through its reset interface. With --bootsel the command waits until the board is back in BOOTSEL.
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

    @Flag(help: "Print the result as one JSON object on stdout.")
    var json = false

    func run() throws {
        try DeviceFailure.reporting {
            let context = try USBContext()
            let (device, found) = try board.resolve(in: context, ttyFallback: target == .bootsel)
            let result: String
            switch (found.mode, target) {
            case (.app, .bootsel):
                let (_, back) = try DeviceSession.rebootToBootsel(device: device, board: found, context: context)
                result = "\(found.identity) is in BOOTSEL at \(back.usb.portPath)"
            case (.app, .app):
                try ResetInterface.rebootToApp(device)
                result = "\(found.identity) was told to restart its program"
            case (_, .bootsel):
                result = "\(found.usb.portPath) (\(found.identity)) is already in BOOTSEL"
            case (_, .app):
                let renderer = ProgressRenderer(json: false)
                let session = try DeviceSession(options: board, announce: { Terminal.error($0) }, onEvent: renderer.handle)
                defer { session.close() }
                try session.run { try $0.reboot(.application) }
                result = "\(session.name) is starting its program"
            }
            if json {
                Terminal.output(Terminal.jsonLine(JSONValue.object([
                    "event": .string("rebooted"), "target": .string(target.rawValue), "port": .string(found.usb.portPath.description),
                    "identity": .string(found.identity.description)])))
            } else {
                Terminal.output(result)
            }
        }
    }
}
