/// Random-access reads of a firmware file: images read from one refer to its bytes by offset and
/// read them when asked, instead of holding a copy.
///
/// The library reads only through this protocol; the CLI implements it with `pread` on an open
/// file, and `ArraySource` serves bytes already in memory.
public protocol ImageSource: AnyObject, Sendable {
    /// The file's size in bytes.
    var size: Int { get }
    /// Fills `buffer` with the bytes at `offset`; the range lies within `size`. A source that
    /// cannot read fills zeros and reports the failure its own way (the library cannot act on it).
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer)
}

/// The bytes one pass over a file reads at a time. Larger reads cost more, not less: a copy from
/// the page cache of 192 KiB or more can bypass the CPU's caches (measured: a 32 MiB file read in
/// 256 KiB pieces took 22 ms, in 64 KiB pieces 4 ms).
public let fileReadChunk = 64 << 10

/// Bytes in memory as an `ImageSource`.
public final class ArraySource: ImageSource {
    /// The bytes.
    public let bytes: [UInt8]

    /// A source serving `bytes`.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The number of bytes.
    public var size: Int { bytes.count }

    /// Copies `buffer.count` bytes from `offset`.
    public func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) {
        bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + buffer.count)])) }
    }
}

extension ImageSource {
    /// `count` bytes from `offset` as an array (count within the file).
    public func bytes(at offset: Int, count: Int) -> [UInt8] {
        if let array = self as? ArraySource { return Array(array.bytes[offset..<(offset + count)]) }
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            read(at: offset, into: UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }

    /// The whole file as an array (no copy for an `ArraySource`).
    var allBytes: [UInt8] {
        if let array = self as? ArraySource { return array.bytes }
        return bytes(at: 0, count: size)
    }
}
