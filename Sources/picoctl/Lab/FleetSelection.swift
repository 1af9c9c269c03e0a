import PicoUSB

/// The boards an `--all` command acts on: every board the selector matches, or, with a
/// comma-separated `--serial` (`--serial bench-3,bench-4,E6605481DB484636`), every board that any
/// one of those names, serials or unique ids selects.
struct FleetSelection {
    /// One selector per listed board (just the command's selector without a list).
    var selectors: [BoardSelector]

    /// Splits the selector's `--serial` list; inventory names stand for their serial or port.
    init(_ base: BoardSelector, names: Inventory) {
        guard let serial = base.serial, serial.contains(",") else {
            selectors = [base]
            return
        }
        selectors = serial.split(separator: ",").map { $0.trimmingSpaces }.filter { !$0.isEmpty }.map { part in
            var one = base
            switch names.target(named: part) {
            case .serial(let id)?: one.serial = id
            case .port(let port)?: one.serial = nil; one.port = port
            case nil: one.serial = part
            }
            return one
        }
    }

    /// True when any listed selector matches.
    func matches(_ board: PicoDevice) -> Bool { selectors.contains { $0.matches(board) } }
}
