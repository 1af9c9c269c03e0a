import UF2

/// What a Pico-family USB device is doing right now (pico-facts §1).
public enum PicoMode: String, Hashable, Sendable, CaseIterable {
    /// The bootrom's USB boot mode: PICOBOOT (and usually mass storage) interfaces.
    case bootsel
    /// A running pico-sdk program with the reset interface (vendor 0xff/0x00/0x01), whatever its VID/PID.
    case app
    /// MicroPython (VID 0x2e8a, PID 0x0005).
    case micropython
    /// A picoprobe or debugprobe (CMSIS-DAP; PID 0x0004 or 0x000c).
    case debugprobe
    /// A Raspberry Pi VID that none of the above explains; listed rather than hidden.
    case unknown
}

/// How a board is recognised across modes and re-enumerations.
public enum BoardIdentity: Hashable, Sendable, CustomStringConvertible {
    /// The board's unique id: an app's serial (flash unique id on RP2040, chip id on RP2350) or an
    /// RP2350's BOOTSEL serial (the same chip id).
    case uniqueID(String)
    /// The USB port path, for an RP2040 in BOOTSEL (whose serial is not unique) or a device without a usable serial.
    case portPath(USBPortPath)

    /// The unique id, or `port 1-3.2`.
    public var description: String {
        switch self {
        case .uniqueID(let id): id
        case .portPath(let path): "port \(path)"
        }
    }
}

/// A Pico-family device found on the bus: its description, mode, chip, identity, tty and access problems.
public struct PicoDevice: Hashable, Sendable {
    /// Descriptors, bus position and strings.
    public var usb: USBDeviceDescription
    /// What it is doing.
    public var mode: PicoMode
    /// The chip, when the mode and ids tell (`nil` for a white-labelled app, MicroPython, ...).
    public var chip: Chip?
    /// The tty of its CDC interface (`/dev/ttyACM0`), when the system has one.
    public var ttyPath: String?
    /// Why the device could not be opened (permission denied, busy), when it could not.
    public var accessProblem: PicoUSBError?

    /// A device from its parts.
    public init(usb: USBDeviceDescription, mode: PicoMode, chip: Chip?, ttyPath: String? = nil, accessProblem: PicoUSBError? = nil) {
        self.usb = usb
        self.mode = mode
        self.chip = chip
        self.ttyPath = ttyPath
        self.accessProblem = accessProblem
    }

    /// Classifies a USB device; nil when it is not a Pico-family device.
    public init?(classifying usb: USBDeviceDescription) {
        guard let (mode, chip) = Self.classify(usb) else { return nil }
        self.init(usb: usb, mode: mode, chip: chip)
    }

    /// The mode and chip of a device, or nil when it is not ours.
    ///
    /// Order matters: BOOTSEL ids first, then the reset interface (any VID/PID), then the other
    /// Raspberry Pi products, then any remaining Raspberry Pi VID as unknown. A white-labelled
    /// RP2350 bootrom (VID/PID from OTP) is recognised by its interfaces: PICOBOOT, optionally
    /// mass storage, nothing else, on a USB 2.1 device.
    public static func classify(_ usb: USBDeviceDescription) -> (PicoMode, Chip?)? {
        let rpi = usb.vendorID == Chip.raspberryPiVendorID
        if rpi, let chip = Chip.all.first(where: { $0.bootselProductID == usb.productID }) { return (.bootsel, chip) }
        if usb.interface(.resetInterface) != nil {
            return (.app, rpi ? Chip.all.first { $0.appProductID == usb.productID } : nil)
        }
        if rpi {
            switch usb.productID {
            case 0x0005: return (.micropython, nil)
            case 0x0004, 0x000c: return (.debugprobe, nil)
            default: return (.unknown, nil)
            }
        }
        let triples = Set(usb.interfaces.map(\.classTriple))
        if triples.contains(.picoboot), triples.isSubset(of: [.picoboot, .massStorage]), usb.usbVersion >= 0x0210 {
            return (.bootsel, .rp2350)
        }
        return nil
    }

    /// True when the serial number identifies this board uniquely: false for an RP2040 in BOOTSEL,
    /// for a RAM-only app (`EEEEEEEEEEEEEEEE`) and for a missing serial.
    public var serialIsUnique: Bool {
        guard let serial = usb.serialNumber, !serial.isEmpty else { return false }
        if mode == .bootsel && chip != .rp2350 { return false }
        if mode == .app && (serial.allSatisfy { $0 == "E" || $0 == "e" }) { return false }
        return true
    }

    /// The identity to track this board by: its unique serial when it has one, else its port path.
    public var identity: BoardIdentity {
        serialIsUnique ? .uniqueID(usb.serialNumber!.uppercased()) : .portPath(usb.portPath)
    }

    /// True for the modes device commands act on: BOOTSEL, or an app that can be sent to BOOTSEL.
    public var isFlashable: Bool { mode == .bootsel || mode == .app }

    /// True when `other` (seen later, perhaps in another mode) is the same physical board:
    /// the same unique id, or the same port path when either side has no unique id.
    public func isSameBoard(as other: PicoDevice) -> Bool {
        if serialIsUnique && other.serialIsUnique {
            return usb.serialNumber!.uppercased() == other.usb.serialNumber!.uppercased()
        }
        return usb.portPath == other.usb.portPath
    }
}
