/// Checks the host for what stops picoctl from reaching boards, and says how to fix each thing.
///
/// ```swift
/// let report = Doctor(root: .current).run()
/// for finding in report.findings where finding.severity != .ok { print(finding.summary, finding.fix ?? "") }
/// ```
///
/// It reads sysfs, `/proc`, `/etc` and the udev rules directories directly, so it still has
/// something useful to say when libusb itself cannot open anything.
public struct Doctor: Sendable {
    /// The system to examine.
    public var root: SystemRoot

    /// The fix that installs the rules, as a user would type it from a clone of picoctl.
    public static let installRulesFix =
        "sudo install -m 0644 udev/60-picoctl.rules /etc/udev/rules.d/ && sudo udevadm control --reload-rules && sudo udevadm trigger (or Scripts/install.sh)"

    /// A doctor for `root`.
    public init(root: SystemRoot) { self.root = root }

    /// Runs every check, in a fixed order.
    public func run() -> DoctorReport {
        let boards = UsbScan(root: root).picoDevices()
        var findings = [rulesFinding(), groupFinding()]
        findings += serviceFindings(boards: boards)
        findings += mountFindings()
        findings += accessFindings(boards: boards)
        findings += duplicateSerialFindings(boards: boards)
        return DoctorReport(findings: findings, devices: boards)
    }

    static let rulesDirectories = ["/etc/udev/rules.d", "/run/udev/rules.d", "/usr/lib/udev/rules.d", "/lib/udev/rules.d"]

    /// Whether a rules file grants access to Pico devices, and whether it keeps ModemManager away.
    func rulesFinding() -> Finding {
        var granting: [String] = []
        var ignoresModemManager = false
        for dir in Self.rulesDirectories {
            for name in root.list(dir) where name.hasSuffix(".rules") {
                let path = dir + "/" + name
                guard let text = root.read(path), text.contains("2e8a") else { continue }
                if text.contains("uaccess") || text.contains("MODE=") {
                    granting.append(path)
                    if text.contains("ID_MM_DEVICE_IGNORE") { ignoresModemManager = true }
                }
            }
        }
        if granting.isEmpty {
            return Finding(check: "udev-rules", severity: root.userID == 0 ? .warning : .problem,
                           summary: "no udev rule grants access to Raspberry Pi USB devices (vendor 2e8a)",
                           fix: Self.installRulesFix)
        }
        if !ignoresModemManager {
            return Finding(check: "udev-rules", severity: .warning,
                           summary: "udev rules found (\(granting.joined(separator: ", "))) but none sets ID_MM_DEVICE_IGNORE for Pico ttys",
                           fix: Self.installRulesFix)
        }
        return Finding(check: "udev-rules", severity: .ok, summary: "udev rules installed: \(granting.joined(separator: ", "))")
    }

    /// Whether the user is in plugdev (the group the rules give access to).
    func groupFinding() -> Finding {
        if root.userID == 0 {
            return Finding(check: "plugdev", severity: .ok, summary: "running as root: no group needed")
        }
        guard let plugdev = root.groupID(named: "plugdev") else {
            return Finding(check: "plugdev", severity: .warning,
                           summary: "there is no group plugdev; access then relies on uaccess (a local desktop session)",
                           fix: "sudo groupadd plugdev && sudo usermod -aG plugdev $USER, then log out and in")
        }
        if root.groupIDs.contains(plugdev) {
            return Finding(check: "plugdev", severity: .ok, summary: "you are in group plugdev")
        }
        return Finding(check: "plugdev", severity: .warning,
                       summary: "you are not in group plugdev: outside a local desktop session (ssh, CI) the boards are not yours",
                       fix: "sudo usermod -aG plugdev $USER, then log out and in")
    }
}

/// What `doctor` found: every finding, and the Pico devices it saw.
public struct DoctorReport: Sendable, Codable {
    /// Every finding, in check order.
    public var findings: [Finding]
    /// The Pico-family devices found in sysfs.
    public var devices: [UsbScan.Device]

    /// The worst severity among the findings.
    public var worst: Finding.Severity { findings.map(\.severity).max() ?? .ok }
    /// True when something must be fixed before picoctl can work.
    public var needsFixing: Bool { worst == .problem }
}
