/// Plans and carries out flash operations over PICOBOOT: erase, write, verify, skip what is already there.
///
/// Data flows one way: a `MemoryImage` and what the board holds become a `FlashPlan` (pure, printable
/// by `--dry-run`), which a `FlashExecutor` walks over a `PicobootConnection`:
///
/// ```swift
/// let executor = FlashExecutor(connection: PicobootConnection(transport: transport), chip: .rp2040)
/// executor.onEvent = { event in render(event) }          // progress: FlashEvent, documented order
/// var options = FlashOptions()
/// options.family = .rp2040                               // refused on a mismatching board unless options.force
/// let summary = try executor.flash(image, options: options)
/// print(summary.plan.summary())                          // sectors erased, pages written, skipped, modelled time
/// ```
///
/// Other device operations: `read(_:flashSize:)` (save), `erase(_:)`, `learnFlashSize()` (JEDEC id, GET_INFO flash device info or aliasing), `guessFlashSize()`, `reboot(_:)`; on RP2350
/// `systemInfo()`, `partitionTable()`, `uf2Target(_:)` and `readOTP(_:ecc:)` (read-only). On an RP2350
/// with a partition table, `flash` places the image first (`FlashOptions.partition`, a
/// `PartitionPlacement` in the summary): into the partition the bootrom names for its family, moved
/// from the flash start, or refused when it does not fit.
/// A RAM helper (`FlashHelper`) can take over erasing and checking on RP2040:
///
/// ```swift
/// executor.helper = PicobootRAMHelper.rp2040()           // used after its self-check; plan.helperNote says why not
/// let report = try executor.verifyUsingHelper(image)     // CRC per sector; `verify(_:)` reads every byte
/// let id = try executor.readUniqueID()                   // RP2040 flash unique id (0x4B); nil on RP2350
/// ```
public enum PicoFlash {}
