/// The pico-sdk binary info of an image: program name, version, pins, features and the rest,
/// decoded as `picotool info` does (header of five words near the start, entry pointer array,
/// copy table mapping RAM addresses back into the image).
///
/// ```swift
/// if let info = BinaryInfo.decode(file.image, chip: .rp2040) { print(info.programName ?? "?") }
/// ```
public struct BinaryInfo: Hashable, Sendable {
    /// Pins sharing one label, collapsed into ranges: `0-3, 7` → `UART0 TX`.
    public struct PinGroup: Hashable, Sendable {
        /// The pin numbers, ascending.
        public var pins: [Int]
        /// What the pins do (function name or declared names, joined with ", " when several).
        public var label: String
        /// `0-3, 7`.
        public var rangesText: String { BinaryInfo.rangesText(pins) }
    }

    /// A `bi_decl(bi_named_group(...))` and the entries that belong to it.
    public struct NamedGroup: Hashable, Sendable {
        /// Tag of the parent entry (for example 'RP').
        public var parentTag: UInt16
        /// Id of the parent entry (for example the program-feature id).
        public var parentID: UInt32
        /// Tag of the group's members.
        public var groupTag: UInt16
        /// Id of the group's members.
        public var groupID: UInt32
        /// Display label.
        public var label: String
        /// BI_NAMED_GROUP_* flags.
        public var flags: UInt16
        /// The members rendered as `label = value` or plain values.
        public var members: [String]
    }

    /// A `bi_block_device(...)` entry.
    public struct BlockDevice: Hashable, Sendable {
        /// Its name.
        public var name: String
        /// Start address.
        public var address: UInt32
        /// Size in bytes.
        public var size: UInt32
        /// Flags (read 1, write 2, reformat 4, partition table in bits 4-5).
        public var flags: UInt16
    }

    /// An entry with a tag, an id and a value this decoder does not name.
    public struct TaggedValue: Hashable, Sendable {
        /// The entry type (5 id+int, 6 id+string, 11 pointer-to-int, 12 pointer-to-string).
        public var type: UInt16
        /// The tag (0x5052 = 'RP').
        public var tag: UInt16
        /// The id.
        public var id: UInt32
        /// The label of pointer entries, else nil.
        public var label: String?
        /// The value as text (decimal for integers).
        public var value: String
    }

    /// Address of the five-word header.
    public var headerAddress: UInt32
    /// Where the image starts (flash start or RAM start).
    public var binaryStart: UInt32
    /// The address the SDK records as the end of the binary (id 0x68f465de).
    public var binaryEnd: UInt32?
    /// Program name.
    public var programName: String?
    /// Program version string.
    public var programVersion: String?
    /// Build date string.
    public var buildDate: String?
    /// Program URL.
    public var url: String?
    /// Program description.
    public var programDescription: String?
    /// Features, in order.
    public var features: [String] = []
    /// Build attributes (for example `Debug`), in order.
    public var buildAttributes: [String] = []
    /// pico-sdk version.
    public var sdkVersion: String?
    /// PICO_BOARD.
    public var board: String?
    /// boot2 name (RP2040).
    public var boot2Name: String?
    /// Pins, collapsed by label, ordered by first pin.
    public var pins: [PinGroup] = []
    /// Named groups.
    public var namedGroups: [NamedGroup] = []
    /// Block devices.
    public var blockDevices: [BlockDevice] = []
    /// Entries with ids or tags this decoder does not name (and pointer entries outside any group).
    public var otherValues: [TaggedValue] = []
    /// Entry types this decoder does not know, with their addresses.
    public var unknownEntries: [UInt32] = []
    /// The copy table: (source in the image, destination start, destination end).
    public var copyTable: [CopyEntry] = []

    /// One copy table row: bytes at `source` are copied to `destinationStart..<destinationEnd` at boot.
    public struct CopyEntry: Hashable, Sendable {
        /// Where the bytes are in the image (flash).
        public var source: UInt32
        /// Where they run (RAM).
        public var destinationStart: UInt32
        /// One past the last destination byte.
        public var destinationEnd: UInt32
    }

    /// The header's first word.
    public static let markerStart: UInt32 = 0x7188_ebf2
    /// The header's last word.
    public static let markerEnd: UInt32 = 0xe71a_a390
    /// The 'RP' tag.
    public static let tagRaspberryPi: UInt16 = 0x5052

    /// `[0,1,2,3,7]` → `0-3, 7`.
    public static func rangesText(_ pins: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        while i < pins.count {
            var j = i
            while j + 1 < pins.count && pins[j + 1] == pins[j] + 1 { j += 1 }
            parts.append(i == j ? "\(pins[i])" : "\(pins[i])-\(pins[j])")
            i = j + 1
        }
        return parts.joined(separator: ", ")
    }
}
