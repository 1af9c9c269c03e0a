/// The bytes a firmware image puts into a chip's address space: sorted, non-overlapping segments.
///
/// Every reader (UF2, ELF, BIN) produces one; the UF2 writer and the flash planner consume one.
/// Addresses not covered by a segment are undefined: a flash planner keeps what the device
/// already holds there.
public struct MemoryImage: Hashable, Sendable {
    /// A run of defined bytes starting at `address`.
    public struct Segment: Hashable, Sendable {
        /// The address of the first byte.
        public var address: UInt32
        /// The bytes.
        public var bytes: [UInt8]

        /// A segment of `bytes` at `address`.
        public init(address: UInt32, bytes: [UInt8]) {
            self.address = address
            self.bytes = bytes
        }

        /// One past the last byte's address.
        public var end: UInt64 { UInt64(address) + UInt64(bytes.count) }
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
        var sorted = segments.filter { !$0.bytes.isEmpty }
        sorted.sort { $0.address < $1.address }
        var merged: [Segment] = []
        merged.reserveCapacity(sorted.count)
        for segment in sorted {
            if let last = merged.last {
                if UInt64(segment.address) < last.end {
                    throw OverlapError(address: segment.address, previousEnd: last.end)
                }
                if UInt64(segment.address) == last.end {
                    merged[merged.count - 1].bytes.append(contentsOf: segment.bytes)
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
    public var byteCount: Int { segments.reduce(0) { $0 + $1.bytes.count } }

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
        return offset < UInt64(segment.bytes.count) ? segment.bytes[Int(offset)] : nil
    }

    /// The segments clipped to `[start, start + length)`, in address order.
    public func segments(in start: UInt32, length: Int) -> [Segment] {
        let end = UInt64(start) + UInt64(length)
        var result: [Segment] = []
        for segment in segments where segment.end > UInt64(start) && UInt64(segment.address) < end {
            let lo = max(UInt64(segment.address), UInt64(start))
            let hi = min(segment.end, end)
            let from = Int(lo - UInt64(segment.address)), to = Int(hi - UInt64(segment.address))
            result.append(Segment(address: UInt32(lo), bytes: Array(segment.bytes[from..<to])))
        }
        return result
    }
}
