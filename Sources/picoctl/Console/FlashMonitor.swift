import PicoSerial

extension FlashCommand {
    /// `flash --monitor`: follow the freshly rebooted board's console by its USB port path (the
    /// same port in BOOTSEL and running the app), as `picoctl monitor --port` does.
    func follow(port: String) throws {
        try MonitorSession.follow(BoardIdentity(portPath: port), options: console, inventory: board.inventory, json: json, image: file)
    }
}
