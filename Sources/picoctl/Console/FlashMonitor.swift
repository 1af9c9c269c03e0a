import PicoSerial

extension FlashCommand {
    /// `flash --monitor`: follow the freshly rebooted board's console by its USB port path (the
    /// same port in BOOTSEL and running the app), as `picoctl monitor --port` does.
    func follow(port: String) throws {
        let session: MonitorSession
        do {
            let identity = BoardIdentity(portPath: port)
            session = try MonitorSession(options: console.configured(for: identity, inventory: board.inventory, json: json),
                                         identity: identity, json: json, image: file)
        } catch {
            ConsoleOutput().error(error.message)
            throw error.status.exitCode
        }
        let status = session.run(forwardInput: true)
        if session.outputClosed { Interruption.dieOfSIGPIPE() }
        if status != .success { throw status.exitCode }
    }
}
