import PicoBoot
import UF2

extension FlashExecutor {
    /// The board's partition table through GET_INFO (RP2350): nil when the bootrom reports none.
    /// Names and extra families are read partition by partition, as picotool does, so the answers
    /// stay within the bootrom's 256-byte buffer.
    public func partitionTable() throws(FlashError) -> PartitionTable? {
        guard !chip.hasExec else { throw .unsupported(operation: "GET_INFO", chip: chip) }
        return try withExclusiveAccess { () throws(FlashError) -> PartitionTable? in
            // picotool leaves XIP first (RP2350 A2 needs it before the partition table is read).
            try device { () throws(PicobootError) in try connection.exitXIP() }
            return try readPartitionTable()
        }
    }

    /// Where the bootrom would write a UF2 of `family` (GET_INFO UF2 target partition, RP2350).
    public func uf2Target(_ family: Family) throws(FlashError) -> UF2TargetPartition {
        guard !chip.hasExec else { throw .unsupported(operation: "GET_INFO", chip: chip) }
        return try withExclusiveAccess { () throws(FlashError) -> UF2TargetPartition in
            try device { () throws(PicobootError) in try connection.exitXIP() }
            return try readUF2Target(family)
        }
    }

    /// Reads the table (exclusive access held, XIP exited).
    func readPartitionTable() throws(FlashError) -> PartitionTable? {
        let overview = try device { () throws(PicobootError) in
            try connection.execute(GetInfo.partitionTable(PartitionTable.overviewItems))
        }
        do {
            guard var table = try PartitionTable.decodeOverview(overview) else { return nil }
            for index in table.partitions.indices where table.partitions[index].hasName || table.partitions[index].extraFamilyCount > 0 {
                let details = try device { () throws(PicobootError) in
                    try connection.execute(GetInfo.partitionTable(PartitionTable.detailItems, partition: index))
                }
                try PartitionTable.decodeDetails(details, into: &table.partitions[index])
            }
            return table
        } catch let error as InfoDecodeError {
            throw .unexpectedAnswer(command: "GET_INFO partition table", detail: "\(error)")
        } catch let error as FlashError {
            throw error
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    /// Asks the bootrom for the UF2 target partition of `family` (exclusive access held).
    func readUF2Target(_ family: Family) throws(FlashError) -> UF2TargetPartition {
        let answer = try device { () throws(PicobootError) in try connection.execute(GetInfo.uf2TargetPartition(family)) }
        do {
            return try UF2TargetPartition(answer: answer)
        } catch {
            throw .unexpectedAnswer(command: "GET_INFO UF2 target partition", detail: "\(error)")
        }
    }

    /// Where a flash image goes on this board (exclusive access held, XIP exited): RP2040 boards and
    /// `--ignore-partitions` write at the image's addresses; an RP2350 is asked for its table and,
    /// for `.automatic`, for the target partition of the image's family.
    func placement(of image: MemoryImage, options: FlashOptions) throws(FlashError) -> PartitionPlacement? {
        guard !chip.hasExec, options.partition != .ignore else { return nil }
        let table = try readPartitionTable()
        var target: UF2TargetPartition?
        if table != nil, options.partition == .automatic, let family = options.family { target = try readUF2Target(family) }
        do {
            return try PartitionPlacement.place(image, chip: chip, family: options.family, table: table, target: target,
                                                choice: options.partition)
        } catch {
            throw .placement(error)
        }
    }

    /// `image` as it lies in partition `index` (RP2350 with a partition table): for `verify --partition N`.
    public func image(_ image: MemoryImage, inPartition index: Int) throws(FlashError) -> MemoryImage {
        guard !chip.hasExec else { throw .unsupported(operation: "partitions", chip: chip) }
        let table = try partitionTable()
        do {
            let placement = try PartitionPlacement.place(image, chip: chip, family: nil, table: table, target: nil, choice: .index(index))
            return placement.apply(to: image)
        } catch {
            throw .placement(error)
        }
    }
}
