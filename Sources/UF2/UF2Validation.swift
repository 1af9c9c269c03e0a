/// What `UF2Validator` found in a file: findings (errors, warnings, notes) and a per-family summary.
public struct UF2ValidationReport: Hashable, Sendable {
    /// One thing found, with the block number (index in the file) and target address it concerns.
    public struct Finding: Hashable, Sendable {
        /// How bad it is.
        public enum Severity: String, Hashable, Sendable, Comparable {
            /// A fact worth knowing (the E10 block recognised, several families).
            case info
            /// The file works but may not do what was meant; fails only with `--strict`.
            case warning
            /// A bootrom would ignore or mis-write part of the file.
            case error

            private var rank: Int { self == .info ? 0 : self == .warning ? 1 : 2 }
            /// Orders info < warning < error.
            public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
        }

        /// How bad it is.
        public var severity: Severity
        /// The rule, a stable kebab-case id (`bad-magic`, `overlap`, `rp2040-e14`, ...).
        public var rule: String
        /// The sentence a user reads.
        public var message: String
        /// Index of the block in the file (0-based), when the finding is about one block.
        public var block: Int?
        /// The block's target address, when the finding is about one.
        public var address: UInt32?
    }

    /// One family's blocks.
    public struct FamilySummary: Hashable, Sendable {
        /// The family, or nil for blocks without a family id.
        public var family: Family?
        /// Blocks in the file for this family.
        public var blocks: Int
        /// The block count the blocks declare (the first one's).
        public var declaredCount: UInt32
        /// Payload bytes.
        public var payloadBytes: Int
        /// Lowest target address.
        public var lowestAddress: UInt32
        /// One past the highest payload byte.
        public var endAddress: UInt64
    }

    /// File size in bytes.
    public var fileSize: Int
    /// Whole 512-byte blocks in the file.
    public var blockCount: Int
    /// Everything found, in file order within each rule.
    public var findings: [Finding]
    /// The families in order of first appearance (the E10 absolute block not counted).
    public var families: [FamilySummary]
    /// True when the file starts with the RP2350-E10 absolute block.
    public var hasAbsoluteBlock: Bool
    /// Blocks flagged not main flash (0x1), skipped before any other rule as bootroms skip them.
    public var notMainFlashBlocks: Int

    /// The findings of severity error.
    public var errors: [Finding] { findings.filter { $0.severity == .error } }
    /// The findings of severity warning.
    public var warnings: [Finding] { findings.filter { $0.severity == .warning } }
    /// Valid: no error, and with `strict` no warning either.
    public func isValid(strict: Bool = false) -> Bool {
        !findings.contains { $0.severity == .error || (strict && $0.severity == .warning) }
    }
}

/// The flag words of the families whose blocks must carry exactly 256 bytes at 256-aligned addresses.
extension Family {
    /// True for the Raspberry Pi families (rp2040, rp2350-*, absolute, data).
    public var isRaspberryPi: Bool {
        // rp2040, absolute, data and the three rp2350 ids are consecutive (checked per block: no Chip is made).
        rawValue >= Family.rp2040.rawValue && rawValue <= Family.rp2350ArmNS.rawValue
    }

    /// The chip whose memory map bounds this family's addresses.
    var boundingChip: Chip? { chip ?? (self == .absolute || self == .data ? .rp2350 : nil) }

    /// Whether `length` bytes at `address` lie in the flash or RAM of `boundingChip`; nil without one.
    func boundingChipAllows(_ address: UInt32, length: UInt64) -> Bool? {
        guard isRaspberryPi else { return nil }
        return self == .rp2040 ? Chip.rp2040.isLoadable(address, length: length) : Chip.rp2350.isLoadable(address, length: length)
    }
}
