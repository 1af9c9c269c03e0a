/// The bytes a firmware image puts into a chip's address space: sorted, non-overlapping segments.
///
/// Every reader (UF2, ELF, BIN) produces one; the UF2 writer and the flash planner consume one.
/// Addresses not covered by a segment are undefined: a flash planner keeps what the device
/// already holds there.
public struct MemoryImage: Hashable, Sendable {
    /// A run of defined bytes starting at `address`: held in memory, or read from the file the
    /// image came from when asked (`FileExtent`), so that an image of a large file holds no copy.
    public struct Segment: Hashable, Sendable {
        /// The address of the first byte.
        public var address: UInt32
        private var storage: Storage

        enum Storage: Sendable {
            case array([UInt8])
            case file(FileExtent)
        }

        /// A segment of `bytes` at `address`.
        public init(address: UInt32, bytes: [UInt8]) {
            self.address = address
            storage = .array(bytes)
        }

        /// A segment whose bytes are read from a file when asked.
        init(address: UInt32, extent: FileExtent) {
            self.address = address
            storage = extent.count == 0 ? .array([]) : .file(extent)
        }

        /// The bytes, read whole from the file when the segment refers to one (prefer `count`,
        /// `bytes(from:count:)` and `withBytes` for large segments).
        public var bytes: [UInt8] {
            get {
                switch storage {
                case .array(let bytes): return bytes
                case .file(let extent): return extent.bytes(from: 0, count: extent.count)
                }
            }
            _modify {
                var bytes = self.bytes
                storage = .array([])  // the array is uniquely referenced while it changes
                yield &bytes
                storage = .array(bytes)
            }
        }

        /// The file the bytes are read from, nil when they are held.
        var extent: FileExtent? { if case .file(let extent) = storage { extent } else { nil } }

        /// The number of bytes.
        public var count: Int {
            switch storage {
            case .array(let bytes): bytes.count
            case .file(let extent): extent.count
            }
        }

        /// One past the last byte's address.
        public var end: UInt64 { UInt64(address) + UInt64(count) }

        /// `count` bytes from `offset` (within the segment).
        public func bytes(from offset: Int, count: Int) -> [UInt8] {
            switch storage {
            case .array(let bytes): Array(bytes[offset..<(offset + count)])
            case .file(let extent): extent.bytes(from: offset, count: count)
            }
        }

        /// Calls `body` with the bytes from `offset` to the end in pieces of at most `piece` bytes
        /// (held bytes in one piece), in order.
        public func withBytes(from offset: Int = 0, piece: Int = fileReadChunk, _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
            switch storage {
            case .array(let bytes):
                try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
            case .file(let extent):
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: min(piece, max(extent.count - offset, 1)), alignment: 16)
                defer { buffer.deallocate() }
                var at = offset
                while at < extent.count {
                    let n = min(buffer.count, extent.count - at)
                    let part = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n])
                    extent.copy(from: at, into: part)
                    try body(UnsafeRawBufferPointer(part))
                    at += n
                }
            }
        }

        /// Copies the bytes from `offset` into `destination` (`destination.count` bytes, within the segment).
        public func copyBytes(from offset: Int, into destination: UnsafeMutableRawBufferPointer) {
            switch storage {
            case .array(let bytes):
                bytes.withUnsafeBytes { destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + destination.count)])) }
            case .file(let extent):
                extent.copy(from: offset, into: destination)
            }
        }

        /// The byte at `offset` (within the segment).
        func byte(at offset: Int) -> UInt8 {
            switch storage {
            case .array(let bytes): bytes[offset]
            case .file(let extent): extent.byte(at: offset)
            }
        }

        /// Equal when the addresses and the bytes are.
        public static func == (a: Segment, b: Segment) -> Bool {
            guard a.address == b.address, a.count == b.count else { return false }
            if let x = a.extent, let y = b.extent, x === y { return true }
            return a.bytes == b.bytes
        }

        /// Hashes the address and the length.
        public func hash(into hasher: inout Hasher) {
            hasher.combine(address)
            hasher.combine(count)
        }
    }

    /// Two segments that claim the same address.
    public struct OverlapError: Error, Hashable, Sendable {
        /// The address where the later segment starts.
        public var address: UInt32
        /// One past the end of the earlier segment.
        public var previousEnd: UInt64
    }

    /// The segments, sorted by address, non-overlapping, adjacent runs merged.
    public private(set) var segments: [Segment]

    /// An image with no bytes.
    public init() { segments = [] }

    /// Builds an image from segments in any order; throws when two of them overlap.
    public init(segments: [Segment]) throws(OverlapError) {
        var sorted = segments.filter { $0.count > 0 }
        sorted.sort { $0.address < $1.address }
        var merged: [Segment] = []
        merged.reserveCapacity(sorted.count)
        for segment in sorted {
            if let last = merged.last {
                if UInt64(segment.address) < last.end {
                    throw OverlapError(address: segment.address, previousEnd: last.end)
                }
                if UInt64(segment.address) == last.end {
                    merged[merged.count - 1] = last.appending(segment)
                    continue
                }
            }
            merged.append(segment)
        }
        self.segments = merged
    }

    /// True when the image defines no byte.
    public var isEmpty: Bool { segments.isEmpty }

    /// The lowest defined address, or nil when empty.
    public var lowestAddress: UInt32? { segments.first?.address }

    /// One past the highest defined address, or nil when empty.
    public var endAddress: UInt64? { segments.last?.end }

    /// The number of defined bytes.
    public var byteCount: Int { segments.reduce(0) { $0 + $1.count } }

    /// The byte at `address`, or nil when the image does not define it.
    public subscript(address: UInt32) -> UInt8? {
        // Binary search for the last segment starting at or before the address.
        var low = 0, high = segments.count
        while low < high {
            let mid = (low + high) / 2
            if segments[mid].address <= address { low = mid + 1 } else { high = mid }
        }
        guard low > 0 else { return nil }
        let segment = segments[low - 1]
        let offset = UInt64(address) - UInt64(segment.address)
        return offset < UInt64(segment.count) ? segment.byte(at: Int(offset)) : nil
    }

    /// The segments clipped to `[start, start + length)`, in address order, their bytes copied.
    public func segments(in start: UInt32, length: Int) -> [Segment] {
        let end = UInt64(start) + UInt64(length)
        var result: [Segment] = []
        for segment in segments where segment.end > UInt64(start) && UInt64(segment.address) < end {
            let lo = max(UInt64(segment.address), UInt64(start))
            let hi = min(segment.end, end)
            let from = Int(lo - UInt64(segment.address)), to = Int(hi - UInt64(segment.address))
            result.append(Segment(address: UInt32(lo), bytes: segment.bytes(from: from, count: to - from)))
        }
        return result
    }
}

extension MemoryImage.Segment {
    /// This segment followed by `next` (which starts at this one's end): the file places joined
    /// when both read from the same file, else the bytes.
    func appending(_ next: MemoryImage.Segment) -> MemoryImage.Segment {
        if let a = extent, let b = next.extent, a.source === b.source {
            return MemoryImage.Segment(address: address, extent: a.joined(b))
        }
        var joined = self
        joined.bytes.append(contentsOf: next.bytes)
        return joined
    }

    /// This segment's bytes at another address.
    func moved(to newAddress: UInt32) -> MemoryImage.Segment {
        var moved = self
        moved.address = newAddress
        return moved
    }
}
