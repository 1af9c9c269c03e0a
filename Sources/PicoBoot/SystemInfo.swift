/// The RP2350's answer to GET_INFO type SYS: word 0 counts the words that follow, word 1 holds the
/// flags the bootrom answered, then each requested item in flag order.
public struct SystemInfo: Hashable, Sendable {
    /// The items a SYS request can ask for (`params[0]` of GET_INFO).
    public struct Items: OptionSet, Hashable, Sendable {
        /// The bit mask.
        public var rawValue: UInt32
        /// Wraps a mask.
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// Three words: package id, device id, wafer id.
        public static let chipInfo = Items(rawValue: 0x01)
        /// One word of chip-specific critical bits.
        public static let critical = Items(rawValue: 0x02)
        /// One word: current CPU type and the supported ones.
        public static let cpuInfo = Items(rawValue: 0x04)
        /// One word: the FLASH_DEVINFO OTP row.
        public static let flashDeviceInfo = Items(rawValue: 0x08)
        /// Four words of per-boot random data.
        public static let bootRandom = Items(rawValue: 0x10)
        /// Two words of nonce.
        public static let nonce = Items(rawValue: 0x20)
        /// Four words: boot info, boot diagnostic, boot parameters 0 and 1.
        public static let bootInfo = Items(rawValue: 0x40)
        /// What `picoctl info --device` asks for.
        public static let standard: Items = [.chipInfo, .cpuInfo, .flashDeviceInfo, .bootInfo]

        /// The words each item takes, in answer order.
        static let layout: [(Items, Int)] = [(.chipInfo, 3), (.critical, 1), (.cpuInfo, 1), (.flashDeviceInfo, 1),
                                             (.bootRandom, 4), (.nonce, 2), (.bootInfo, 4)]
    }

    /// The items the bootrom answered.
    public var items: Items
    /// Package id, device id and wafer id.
    public var chip: (package: UInt32, device: UInt32, wafer: UInt32)?
    /// Critical bits.
    public var critical: UInt32?
    /// CPU word (byte 0: running CPU, 0 Arm, 1 RISC-V).
    public var cpu: UInt32?
    /// The FLASH_DEVINFO row.
    public var flashDeviceInfo: UInt32?
    /// Boot info, diagnostic, parameter 0 and 1.
    public var boot: [UInt32]?

    /// Decodes an answer; nil when it is shorter than its own word count says.
    public init?(answer bytes: [UInt8]) {
        guard bytes.count >= 8 else { return nil }
        let count = Int(bytes.readUInt32(at: 0))
        guard count >= 1, bytes.count >= 4 * (count + 1) else { return nil }
        let words = (1...count).map { bytes.readUInt32(at: 4 * $0) }
        items = Items(rawValue: words[0])
        var index = 1
        for (item, size) in Items.layout where items.contains(item) {
            guard index + size <= words.count else { return nil }
            let value = Array(words[index..<(index + size)])
            switch item {
            case .chipInfo: chip = (value[0], value[1], value[2])
            case .critical: critical = value[0]
            case .cpuInfo: cpu = value[0]
            case .flashDeviceInfo: flashDeviceInfo = value[0]
            case .bootInfo: boot = value
            default: break
            }
            index += size
        }
    }

    /// The answer's words for `items` (what a device sends; used by simulated boards).
    public static func encode(items: Items, chip: (UInt32, UInt32, UInt32), cpu: UInt32 = 0, flashDeviceInfo: UInt32 = 0) -> [UInt32] {
        var body: [UInt32] = [items.rawValue]
        for (item, size) in Items.layout where items.contains(item) {
            switch item {
            case .chipInfo: body += [chip.0, chip.1, chip.2]
            case .cpuInfo: body.append(cpu)
            case .flashDeviceInfo: body.append(flashDeviceInfo)
            default: body += [UInt32](repeating: 0, count: size)
            }
        }
        return [UInt32(body.count)] + body
    }

    /// Compares the decoded fields.
    public static func == (a: SystemInfo, b: SystemInfo) -> Bool {
        a.items == b.items && a.chip?.package == b.chip?.package && a.chip?.device == b.chip?.device
            && a.chip?.wafer == b.chip?.wafer && a.critical == b.critical && a.cpu == b.cpu
            && a.flashDeviceInfo == b.flashDeviceInfo && a.boot == b.boot
    }

    /// Hashes the decoded fields.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(items.rawValue)
        hasher.combine(chip?.device)
        hasher.combine(chip?.wafer)
        hasher.combine(cpu)
        hasher.combine(flashDeviceInfo)
    }
}
