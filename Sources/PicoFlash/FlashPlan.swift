import PicoBoot
import UF2

/// What the host knows about one flash sector before planning.
public enum SectorKnowledge: Hashable, Sendable {
    /// The sector's current bytes, read back.
    case contents([UInt8])
    /// The CRC-32/MPEG-2 of the sector's current bytes (from a RAM helper).
    case crc32(UInt32)
    /// A probe found bytes that differ from the image and are not blank: the sector must be erased
    /// (valid only for sectors the image covers completely).
    case mustErase
    /// Nothing: the sector is assumed to need erasing.
    case unknown
}

/// What happens to one flash sector the image touches.
public enum SectorAction: String, Hashable, Sendable {
    /// The sector already holds the image's bytes: no erase, no write.
    case skip
    /// The pages to change are blank: program them without erasing.
    case program
    /// Erase the sector, then program its non-blank pages.
    case eraseAndProgram
}

/// The plan for one 4 KiB flash sector.
public struct SectorPlan: Hashable, Sendable {
    /// The sector's first address.
    public var address: UInt32
    /// What to do.
    public var action: SectorAction
    /// The bytes the sector must hold afterwards when they are not all the image's (the device's
    /// bytes kept around a partial image); nil for a sector the image covers, whose target is the
    /// image's bytes (`FlashPlan.target(ofSector:)`), so that a plan holds no copy of the image.
    public var target: [UInt8]?
    /// The pages to program: bit i for the page at `address + i * pageSize` (a sector has at most
    /// 64 pages), so that a plan of a 32 MiB image keeps no array per sector.
    public var pageMask: UInt64
    /// The page size the mask counts in.
    public var pageSize: UInt32
    /// How many of the sector's bytes the image defines.
    public var imageBytes: Int

    /// The addresses of the pages to program, ascending.
    public var pages: [UInt32] {
        (0..<64).filter { pageMask & (1 << UInt64($0)) != 0 }.map { address + UInt32($0) * pageSize }
    }

    /// How many pages to program.
    public var pageCount: Int { pageMask.nonzeroBitCount }
}

/// A flash or RAM load computed without a device: the executor only walks it.
public struct FlashPlan: Hashable, Sendable {
    /// Where the image goes.
    public enum Kind: String, Hashable, Sendable {
        /// Into flash, sector by sector.
        case flash
        /// Into RAM, then started there.
        case ram
    }

    /// How sectors are erased.
    public enum EraseStrategy: String, Hashable, Sendable {
        /// PICOBOOT FLASH_ERASE: the bootrom erases 4 KiB sectors one by one.
        case bootromSectors
        /// A RAM helper erasing 64 KiB blocks where it can (RP2040).
        case helperBlocks

        /// Words for plans: `bootrom, 4 KiB sectors`.
        public var words: String {
            switch self {
            case .bootromSectors: "bootrom, 4 KiB sectors"
            case .helperBlocks: "RAM helper, 64 KiB blocks where aligned"
            }
        }
    }

    /// How the current contents were checked.
    public enum CheckStrategy: String, Hashable, Sendable {
        /// Each touched sector read back over USB.
        case readBack
        /// The first page of each fully covered sector read; the rest only when that page could not decide.
        case probeThenRead
        /// Per-sector CRCs from a RAM helper.
        case helperCRC
        /// Not checked: every fully covered sector is erased and written.
        case none

        /// Words for plans: `first-page probes, then whole sectors`.
        public var words: String {
            switch self {
            case .readBack: "whole sectors read back"
            case .probeThenRead: "first-page probes, then whole sectors"
            case .helperCRC: "RAM helper CRCs"
            case .none: "none (partial sectors read)"
            }
        }
    }

    /// The chip the plan is for.
    public var chip: Chip
    /// Flash or RAM.
    public var kind: Kind
    /// The flash sectors the image touches, ascending (empty for RAM).
    public var sectors: [SectorPlan]
    /// The RAM segments to write (empty for flash).
    public var ramSegments: [MemoryImage.Segment]
    /// Where a RAM image starts (its lowest address).
    public var entryPoint: UInt32?
    /// The erase strategy.
    public var erase: EraseStrategy
    /// The check strategy.
    public var check: CheckStrategy
    /// Bytes read to learn the device's contents before planning.
    public var checkedBytes: UInt64
    /// Commands spent reading them.
    public var checkCommands: Int
    /// Whether the written sectors are read back afterwards.
    public var verify: Bool
    /// Whether verification compares helper CRCs instead of reading the sectors back.
    public var verifyByCRC = false
    /// Why the RAM helper is or is not used (`used: self-check passed`, `not used: --no-helper`); nil when none was offered.
    public var helperNote: String?
    /// Device-side time the check took beyond the transfer (helper CRCs).
    public var checkDeviceTime: Duration = .zero
    /// The board's flash size and where it came from (nil: RAM image, or nothing could tell).
    public var flashSize: FlashSize?
    /// The largest WRITE or READ the executor sends.
    public var maxTransfer: UInt32
    /// The largest FLASH_ERASE the executor sends.
    public var maxErase: UInt32
    /// The flash image, read for the targets of the sectors it covers.
    public var image = MemoryImage()

    /// Sectors that will be erased.
    public var sectorsToErase: [SectorPlan] { sectors.filter { $0.action == .eraseAndProgram } }
    /// Sectors skipped as unchanged.
    public var sectorsSkipped: Int { sectors.count { $0.action == .skip } }
    /// Pages that will be programmed.
    public var pageCount: Int { sectors.reduce(0) { $0 + $1.pageCount } }
    /// Bytes sent to the device in WRITE data phases.
    public var bytesToWrite: UInt64 {
        kind == .ram ? ramSegments.reduce(0) { $0 + UInt64($1.count) } : UInt64(pageCount) * UInt64(chip.pageSize)
    }
    /// Bytes read back to verify.
    public var bytesToVerify: UInt64 {
        guard verify else { return 0 }
        if kind == .ram { return bytesToWrite }
        return UInt64(sectors.count { $0.action != .skip }) * (verifyByCRC ? 4 : UInt64(chip.sectorSize))
    }
    /// Share of the touched sectors that are skipped (0...1).
    public var skippedShare: Double { sectors.isEmpty ? 0 : Double(sectorsSkipped) / Double(sectors.count) }

    /// Contiguous ranges to erase, each at most `maxErase` bytes, ascending.
    public var eraseRuns: [(address: UInt32, size: UInt32)] {
        runs(of: sectorsToErase.map(\.address), unit: chip.sectorSize, limit: erase == .helperBlocks ? UInt32.max : maxErase)
    }

    /// Contiguous page ranges to program, each at most `maxTransfer` bytes, ascending.
    public var writeRuns: [(address: UInt32, size: UInt32)] {
        runs(of: sectors.lazy.flatMap(\.pages), unit: chip.pageSize, limit: maxTransfer)
    }

    /// Contiguous sector ranges to read back for verification, each at most `maxTransfer` bytes.
    public var verifyRuns: [(address: UInt32, size: UInt32)] {
        guard verify else { return [] }
        return runs(of: sectors.filter { $0.action != .skip }.map(\.address), unit: chip.sectorSize,
                    limit: verifyByCRC ? 1024 * chip.sectorSize : maxTransfer)
    }

    /// The byte the plan expects at `address` after flashing (nil outside the touched sectors).
    public func target(at address: UInt32) -> UInt8? {
        let base = address & ~(chip.sectorSize - 1)
        guard let index = sectorIndex(base), let target = target(ofSector: index) else { return nil }
        return target[Int(address - base)]
    }

    /// The bytes sector number `index` must hold afterwards: its own target, else (a sector the
    /// image covers) the image's bytes, read now.
    public func target(ofSector index: Int) -> [UInt8]? {
        let sector = sectors[index]
        if let target = sector.target { return target }
        guard sector.imageBytes == Int(chip.sectorSize) else { return nil }
        return image.segments(in: sector.address, length: Int(chip.sectorSize)).flatMap(\.bytes)
    }

    /// The index of the sector starting at `address`.
    func sectorIndex(_ address: UInt32) -> Int? {
        var low = 0, high = sectors.count
        while low < high {
            let mid = (low + high) / 2
            if sectors[mid].address < address { low = mid + 1 } else { high = mid }
        }
        return low < sectors.count && sectors[low].address == address ? low : nil
    }
}

/// Groups ascending unit addresses into contiguous runs of at most `limit` bytes.
func runs(of addresses: some Sequence<UInt32>, unit: UInt32, limit: UInt32) -> [(address: UInt32, size: UInt32)] {
    var result: [(address: UInt32, size: UInt32)] = []
    for address in addresses {
        if let last = result.last, last.address &+ last.size == address, last.size + unit <= max(limit, unit) {
            result[result.count - 1].size += unit
        } else {
            result.append((address, unit))
        }
    }
    return result
}
