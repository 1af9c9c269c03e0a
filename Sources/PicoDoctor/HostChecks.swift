extension Doctor {
    /// Processes known to grab serial ports: ModemManager probes them, brltty claims them.
    static let portGrabbers = ["ModemManager", "brltty"]

    /// ModemManager or brltty running, and whether one holds a Pico tty open.
    func serviceFindings(boards: [UsbScan.Device]) -> [Finding] {
        let picoTTYs = Set(boards.flatMap(\.ttys))
        var running: [String: [String]] = [:]  // process name → Pico ttys it holds
        for pid in root.list("/proc") where pid.allSatisfy(\.isNumber) {
            guard let comm = root.read("/proc/\(pid)/comm")?.split(separator: "\n").first.map(String.init),
                  Self.portGrabbers.contains(comm) else { continue }
            let held = root.list("/proc/\(pid)/fd").compactMap { root.readLink("/proc/\(pid)/fd/\($0)") }
            running[comm, default: []] += held.filter { picoTTYs.contains($0) }
        }
        return Self.portGrabbers.compactMap { name -> Finding? in
            guard let held = running[name] else { return nil }
            let fix = name == "ModemManager"
                ? "install the udev rules (they set ID_MM_DEVICE_IGNORE=1), or: sudo systemctl disable --now ModemManager"
                : "sudo systemctl mask brltty-udev.service && sudo systemctl stop brltty-udev.service, or: sudo apt remove brltty"
            if !held.isEmpty {
                return Finding(check: "port-grabber", severity: .problem,
                               summary: "\(name) holds \(held.joined(separator: ", ")) open", fix: fix)
            }
            return Finding(check: "port-grabber", severity: .warning,
                           summary: "\(name) is running and may probe a Pico's serial port", fix: fix)
        }
    }

    /// A BOOTSEL board's mass-storage drive mounted by the desktop.
    func mountFindings() -> [Finding] {
        guard let mounts = root.read("/proc/mounts") else { return [] }
        var labelled: [String: String] = [:]  // device node → label
        for label in root.list("/dev/disk/by-label") where label == "RPI-RP2" || label == "RP2350" {
            if let target = root.readLink("/dev/disk/by-label/\(label)") {
                labelled["/dev/" + (target.split(separator: "/").last.map(String.init) ?? target)] = label
            }
        }
        return mounts.split(separator: "\n").compactMap { line -> Finding? in
            let fields = line.split(separator: " ")
            guard fields.count >= 2 else { return nil }
            let device = String(fields[0]), point = String(fields[1]).replacingOctal()
            let last = point.split(separator: "/").last.map(String.init) ?? point
            guard labelled[device] != nil || last == "RPI-RP2" || last == "RP2350" else { return nil }
            return Finding(check: "bootsel-drive", severity: .warning,
                           summary: "a BOOTSEL drive is mounted at \(point) (\(device)); flashing over PICOBOOT ejects it and the desktop may complain",
                           fix: "udisksctl unmount -b \(device)")
        }
    }

    /// Permission to open each Pico device node and tty.
    func accessFindings(boards: [UsbScan.Device]) -> [Finding] {
        if boards.isEmpty {
            return [Finding(check: "device-access", severity: .ok, summary: "no Raspberry Pi USB device is connected")]
        }
        return boards.flatMap { board in
            ([board.node] + board.ttys).map { node in
                let who = "\(node) (port \(board.port), 2e8a:\(board.productID)\(board.product.map { " \($0)" } ?? ""))"
                if !root.exists(node) {
                    return Finding(check: "device-access", severity: .warning, summary: "\(who) has no device node")
                }
                if root.canReadWrite(node) {
                    return Finding(check: "device-access", severity: .ok, summary: "\(who) is readable and writable")
                }
                return Finding(check: "device-access", severity: .problem,
                               summary: "permission denied on \(who)", fix: Self.installRulesFix)
            }
        }
    }

    /// Several RP2040 boards in BOOTSEL that report the same (non-unique) serial.
    func duplicateSerialFindings(boards: [UsbScan.Device]) -> [Finding] {
        let bootsel = boards.filter { $0.productID == "0003" }
        let bySerial = Dictionary(grouping: bootsel, by: { $0.serial ?? "" })
        return bySerial.keys.sorted().compactMap { serial -> Finding? in
            guard let group = bySerial[serial], group.count > 1 else { return nil }
            let ports = group.map(\.port).sorted()
            return Finding(check: "bootsel-identity", severity: .warning,
                           summary: "\(group.count) RP2040 boards in BOOTSEL all report serial \(serial) (ports \(ports.joined(separator: ", ")))",
                           fix: "select one with --port, e.g. --port \(ports[0])")
        }
    }
}

extension String {
    /// Undoes the octal escapes of /proc/mounts (`\040` for a space).
    func replacingOctal() -> String {
        var out = ""
        var chars = Array(self)[...]
        while let c = chars.popFirst() {
            if c == "\\", chars.count >= 3, let code = UInt8(String(chars.prefix(3)), radix: 8) {
                out.append(Character(Unicode.Scalar(code)))
                chars = chars.dropFirst(3)
            } else {
                out.append(c)
            }
        }
        return out
    }
}
