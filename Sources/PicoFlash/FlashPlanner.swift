import PicoBoot
import UF2

/// Settings of the planner: what to check, how to erase, how large the transfers are.
public struct PlanOptions: Hashable, Sendable {
    /// Read back the written sectors afterwards.
    public var verify = true
    /// Check current contents and skip sectors that already hold the image (skip-unchanged).
    public var skipUnchanged = true
    /// How sectors are erased.
    public var erase: FlashPlan.EraseStrategy = .bootromSectors
    /// The largest WRITE or READ data phase.
    public var maxTransfer: UInt32 = 16 * 1024
    /// The largest FLASH_ERASE.
    public var maxErase: UInt32 = 64 * 1024
    /// The board's flash size when known (images past it are refused).
    public var flashSize: UInt32?
    /// Read only the first page of each fully covered sector first: a page that differs and is not
    /// blank decides an erase without reading the rest (cheaper full flashes, dearer identical ones).
    public var probeFirstPage = true

    /// The defaults: verify, skip unchanged with first-page probes, bootrom sector erase, 16 KiB transfers, 64 KiB erases.
    public init() {}
}

/// Computes flash plans: pure functions of an image, a chip and what the device holds.
public enum FlashPlanner {
    /// Whether the image goes to flash or RAM; throws when it is empty, mixed or outside memory.
    public static func kind(of image: MemoryImage, chip: Chip) throws(FlashError) -> FlashPlan.Kind {
        guard !image.isEmpty else { throw .emptyImage }
        var flashAddress: UInt32?, ramAddress: UInt32?
        for segment in image.segments {
            let length = UInt64(segment.count)
            if chip.flash.contains(segment.address, length: length) {
                flashAddress = flashAddress ?? segment.address
            } else if chip.sram.contains(segment.address, length: length) || chip.xipSRAM.contains(segment.address, length: length) {
                ramAddress = ramAddress ?? segment.address
            } else {
                throw .outsideMemory(address: segment.address, length: length, chip: chip)
            }
        }
        if let flashAddress, let ramAddress { throw .mixedFlashAndRAM(flashAddress: flashAddress, ramAddress: ramAddress) }
        return flashAddress != nil ? .flash : .ram
    }

    /// Refuses an image family the chip's bootrom does not accept, unless `force`.
    public static func checkFamily(_ family: Family?, chip: Chip, force: Bool) throws(FlashError) {
        guard let family, !force else { return }
        if !chip.families.contains(family) { throw .familyMismatch(image: family, board: chip) }
    }

    /// The first address of each flash sector the image touches, ascending.
    public static func touchedSectors(of image: MemoryImage, chip: Chip) -> [UInt32] {
        var sectors: [UInt32] = []
        let mask = ~(chip.sectorSize - 1)
        for segment in image.segments where chip.flash.contains(segment.address) {
            var sector = UInt64(segment.address & mask)  // 64-bit: a last sector at 0xfffff000 ends the loop, not the program
            while sector < segment.end {
                if sectors.last != UInt32(sector) { sectors.append(UInt32(sector)) }
                sector += UInt64(chip.sectorSize)
            }
        }
        return sectors
    }

    /// True when the image defines every byte of the sector at `address`.
    public static func covers(_ image: MemoryImage, sector address: UInt32, chip: Chip) -> Bool {
        image.segments(in: address, length: Int(chip.sectorSize)).reduce(0) { $0 + $1.count } == Int(chip.sectorSize)
    }

    /// Plans a flash image given what the device holds in each touched sector (`planned`: sectors
    /// already planned, whose contents need not be kept).
    ///
    /// Bytes the image does not define keep the device's contents; blank pages are programmed
    /// without an erase; sectors that already hold the result are skipped.
    public static func plan(image: MemoryImage, chip: Chip, options: PlanOptions = PlanOptions(),
                            check: FlashPlan.CheckStrategy = .readBack, checkedBytes: UInt64 = 0, checkCommands: Int = 0,
                            planned: [UInt32: SectorPlan] = [:],
                            device: (UInt32) -> SectorKnowledge) throws(FlashError) -> FlashPlan {
        var plan = FlashPlan(chip: chip, kind: try kind(of: image, chip: chip), sectors: [], ramSegments: [],
                             entryPoint: nil, erase: options.erase, check: check, checkedBytes: checkedBytes,
                             checkCommands: checkCommands, verify: options.verify, maxTransfer: options.maxTransfer,
                             maxErase: options.maxErase)
        if plan.kind == .ram {
            plan.ramSegments = image.segments
            plan.entryPoint = image.lowestAddress
            plan.check = .none
            return plan
        }
        if let size = options.flashSize, let end = image.endAddress, end > UInt64(chip.flash.start) + UInt64(size) {
            throw .beyondFlash(end: end, flashSize: size)
        }
        plan.image = image
        for sector in touchedSectors(of: image, chip: chip) {
            if let done = planned[sector] {
                plan.sectors.append(done)
            } else {
                plan.sectors.append(try planSector(sector, image: image, chip: chip, knowledge: device(sector)))
            }
        }
        return plan
    }

    /// Plans one sector.
    static func planSector(_ address: UInt32, image: MemoryImage, chip: Chip, knowledge: SectorKnowledge) throws(FlashError) -> SectorPlan {
        var plan = try planSectorWithTarget(address, image: image, chip: chip, knowledge: knowledge)
        if plan.imageBytes == Int(chip.sectorSize) { plan.target = nil }  // the image's bytes: read again when needed
        return plan
    }

    /// `planSector` with the target kept.
    private static func planSectorWithTarget(_ address: UInt32, image: MemoryImage, chip: Chip, knowledge: SectorKnowledge) throws(FlashError) -> SectorPlan {
        let size = Int(chip.sectorSize), page = Int(chip.pageSize)
        let defined = image.segments(in: address, length: size)
        let imageBytes = defined.reduce(0) { $0 + $1.count }
        func overlay(_ base: [UInt8]) -> [UInt8] {
            var target = base
            for segment in defined {
                let offset = Int(segment.address - address)
                target.replaceSubrange(offset..<(offset + segment.bytes.count), with: segment.bytes)
            }
            return target
        }
        precondition(size / page <= 64, "a sector has at most 64 pages")
        // The pages at `offsets` (within the sector) as a mask.
        func mask(_ offsets: [Int]) -> UInt64 { offsets.reduce(0) { $0 | 1 << UInt64($1 / page) } }
        func nonBlankPages(_ target: [UInt8]) -> UInt64 {
            mask(stride(from: 0, to: size, by: page).filter { offset in target[offset..<(offset + page)].contains { $0 != 0xFF } })
        }
        func plan(_ action: SectorAction, _ target: [UInt8], _ pages: UInt64) -> SectorPlan {
            SectorPlan(address: address, action: action, target: target, pageMask: pages, pageSize: UInt32(page), imageBytes: imageBytes)
        }
        switch knowledge {
        case .contents(let current):
            precondition(current.count == size, "sector contents must be \(size) bytes")
            let target = overlay(current)
            if target == current {
                return plan(.skip, target, 0)
            }
            // Pages whose bytes change; if each of them is blank now, programming alone gets there.
            let changed = stride(from: 0, to: size, by: page).filter { target[$0..<($0 + page)] != current[$0..<($0 + page)] }
            let blank = changed.allSatisfy { offset in current[offset..<(offset + page)].allSatisfy { $0 == 0xFF } }
            if blank {
                let pages = changed.filter { offset in target[offset..<(offset + page)].contains { $0 != 0xFF } }
                return plan(.program, target, mask(pages))
            }
            return plan(.eraseAndProgram, target, nonBlankPages(target))
        case .crc32(let crc):
            guard imageBytes == size else { throw .contentsNeeded(sector: address) }
            let target = overlay([UInt8](repeating: 0xFF, count: size))
            if CRC32MPEG2.checksum(target) == crc {
                return plan(.skip, target, 0)
            }
            let blankCRC = CRC32MPEG2.checksum([UInt8](repeating: 0xFF, count: size))
            return plan(crc == blankCRC ? .program : .eraseAndProgram, target, nonBlankPages(target))
        case .mustErase, .unknown:
            guard imageBytes == size else { throw .contentsNeeded(sector: address) }
            let target = overlay([UInt8](repeating: 0xFF, count: size))
            return plan(.eraseAndProgram, target, nonBlankPages(target))
        }
    }
}
