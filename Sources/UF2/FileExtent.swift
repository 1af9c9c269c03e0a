import Synchronization

/// Where a segment's bytes lie in an `ImageSource`: runs of equal chunks at a fixed stride (a
/// UF2's payloads, 256 bytes every 512) or single chunks (an ELF segment, a BIN). A few words per
/// run, whatever the size; bytes are read when asked, at most `window` of them kept for byte reads.
final class FileExtent: Sendable {
    /// Chunks of `chunk` bytes at `fileOffset`, `fileOffset + stride`, ...; `start` is the first
    /// chunk's offset in the segment.
    struct Run: Hashable, Sendable {
        var start: Int
        var fileOffset: Int
        var chunk: Int
        var stride: Int
        var chunks: Int

        /// The bytes the run places.
        var count: Int { chunk * chunks }
    }

    /// The file.
    let source: any ImageSource
    /// The runs, by `start`, back to back.
    let runs: [Run]
    /// The segment's length.
    let count: Int
    /// The bytes a byte read loads and keeps (binary info and IMAGE_DEF decoding read byte by byte).
    static let window = 4096
    /// The most file bytes one read of strided chunks asks for.
    static let batch = fileReadChunk
    private let cached = Mutex<(start: Int, bytes: [UInt8])>((-1, []))

    /// An extent of `runs` (their `start`s are set here, back to back) in `source`.
    init(source: any ImageSource, runs: [Run]) {
        var placed: [Run] = []
        placed.reserveCapacity(runs.count)
        var start = 0
        for var run in runs where run.count > 0 {
            run.start = start
            start += run.count
            placed.append(run)
        }
        self.source = source
        self.runs = placed
        count = start
    }

    /// One chunk of `count` bytes at `fileOffset`.
    convenience init(source: any ImageSource, fileOffset: Int, count: Int) {
        self.init(source: source, runs: [Run(start: 0, fileOffset: fileOffset, chunk: count, stride: count, chunks: 1)])
    }

    /// This extent followed by `next` (same source).
    func joined(_ next: FileExtent) -> FileExtent {
        var runs = self.runs
        for run in next.runs {
            // A UF2 file's runs continue each other when only a family's other block came between.
            if let last = runs.last, last.chunk == run.chunk, last.stride == run.stride, last.chunks > 0,
               last.fileOffset + last.chunks * last.stride == run.fileOffset {
                runs[runs.count - 1].chunks += run.chunks
            } else {
                runs.append(run)
            }
        }
        return FileExtent(source: source, runs: runs)
    }

    /// The index of the run holding segment offset `offset`.
    private func runIndex(_ offset: Int) -> Int {
        var low = 0, high = runs.count
        while low < high {
            let mid = (low + high) / 2
            if runs[mid].start <= offset { low = mid + 1 } else { high = mid }
        }
        return max(low - 1, 0)
    }

    /// Copies `destination.count` bytes from segment offset `offset`.
    func copy(from offset: Int, into destination: UnsafeMutableRawBufferPointer) {
        precondition(offset >= 0 && offset + destination.count <= count, "read outside the segment")
        var filled = 0
        var index = runIndex(offset)
        var scratch: UnsafeMutableRawBufferPointer? = nil
        defer { scratch?.deallocate() }
        while filled < destination.count {
            let run = runs[index]
            let inRun = offset + filled - run.start
            let want = min(run.count - inRun, destination.count - filled)
            if run.chunks == 1 || run.chunk == run.stride {
                source.read(at: run.fileOffset + inRun, into: UnsafeMutableRawBufferPointer(rebasing: destination[filled..<(filled + want)]))
                filled += want
            } else {
                // Strided chunks: the file span of several chunks in one read, then gathered.
                var chunk = inRun / run.chunk, skip = inRun % run.chunk, left = want
                let needed = min(Self.batch, ((skip + left + run.chunk - 1) / run.chunk - 1) * run.stride + run.chunk)
                if (scratch?.count ?? 0) < needed {
                    scratch?.deallocate()
                    scratch = .allocate(byteCount: needed, alignment: 16)
                }
                let perRead = max(1, (scratch!.count - run.chunk) / run.stride + 1)
                while left > 0 {
                    let chunks = min(perRead, (skip + left + run.chunk - 1) / run.chunk)
                    let span = (chunks - 1) * run.stride + run.chunk
                    source.read(at: run.fileOffset + chunk * run.stride, into: UnsafeMutableRawBufferPointer(rebasing: scratch![0..<span]))
                    for i in 0..<chunks {
                        let take = min(run.chunk - skip, left)
                        let from = i * run.stride + skip
                        UnsafeMutableRawBufferPointer(rebasing: destination[filled..<(filled + take)])
                            .copyMemory(from: UnsafeRawBufferPointer(rebasing: scratch![from..<(from + take)]))
                        filled += take
                        left -= take
                        skip = 0
                    }
                    chunk += chunks
                }
            }
            index += 1
        }
    }

    /// `count` bytes from segment offset `offset`.
    func bytes(from offset: Int, count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            copy(from: offset, into: UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }

    /// The byte at segment offset `offset`, through a window of `window` bytes kept from the last read.
    func byte(at offset: Int) -> UInt8 {
        cached.withLock { cache in
            if cache.start < 0 || offset < cache.start || offset >= cache.start + cache.bytes.count {
                let start = offset - offset % Self.window
                cache = (start, bytes(from: start, count: min(Self.window, count - start)))
            }
            return cache.bytes[offset - cache.start]
        }
    }
}
