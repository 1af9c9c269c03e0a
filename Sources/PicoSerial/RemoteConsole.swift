/// A console served over the network: an RFC 2217 port (ser2net, labgrid's exported serial ports) or a
/// plain TCP byte stream.
///
/// ```swift
/// let remote = try RemoteConsole(url: "rfc2217://lab-pi-3:20000?format=8N1")
/// let follower = try LogFollower(options: FollowOptions(remote: remote))
/// ```
public struct RemoteConsole: Sendable, Equatable, CustomStringConvertible {
    /// How the bytes are carried.
    public enum Transport: String, Sendable, Equatable {
        /// Telnet with COM-PORT-OPTION (RFC 2217): line settings and DTR/RTS reach the port.
        case rfc2217
        /// Raw TCP: the bytes as they are, no settings.
        case tcp
    }

    /// The transport named by the URL's scheme.
    public var transport: Transport
    /// Host name or address (without the brackets of an IPv6 literal).
    public var host: String
    /// TCP port.
    public var port: UInt16
    /// Data bits asked of an RFC 2217 server (`format=8N1`).
    public var dataBits: UInt8 = 8
    /// Parity asked of an RFC 2217 server.
    public var parity: ComPortSettings.Parity = .none
    /// Stop bits asked of an RFC 2217 server.
    public var stopBits: ComPortSettings.StopBits = .one
    /// What an RFC 2217 server discards when a connection starts (`purge=rx|tx|both`).
    public var purge: ComPortSettings.Purge?

    /// Why a console URL was refused.
    public struct URLError: Error, Equatable, CustomStringConvertible {
        /// The sentence a user reads.
        public let description: String
    }

    /// True when `text` names a network console (`rfc2217://` or `tcp://`) rather than a tty.
    public static func isURL(_ text: String) -> Bool {
        text.hasPrefix("rfc2217://") || text.hasPrefix("tcp://")
    }

    /// Parses `rfc2217://HOST:PORT[?format=8N1&purge=rx|tx|both]` or `tcp://HOST:PORT`; IPv6 hosts in brackets.
    public init(url: String) throws(URLError) {
        guard let transport = [Transport.rfc2217, .tcp].first(where: { url.hasPrefix($0.rawValue + "://") }) else {
            throw URLError(description: "\(url): a network console is rfc2217://HOST:PORT or tcp://HOST:PORT")
        }
        self.transport = transport
        var rest = String(url.dropFirst(transport.rawValue.count + 3))
        var query = ""
        if let mark = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: mark)...])
            rest = String(rest[..<mark])
        }
        if rest.hasSuffix("/") { rest.removeLast() }
        let hostPart: Substring, portPart: Substring
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            hostPart = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            guard after.hasPrefix(":") else { throw URLError(description: "\(url): the port is missing (HOST:PORT)") }
            portPart = after.dropFirst()
        } else if let colon = rest.lastIndex(of: ":") {
            hostPart = rest[..<colon]
            portPart = rest[rest.index(after: colon)...]
        } else {
            throw URLError(description: "\(url): the port is missing (HOST:PORT)")
        }
        guard !hostPart.isEmpty, !hostPart.contains("/") else { throw URLError(description: "\(url): the host is missing") }
        guard let port = UInt16(portPart), port > 0 else {
            throw URLError(description: "\(url): '\(portPart)' is not a TCP port (1-65535)")
        }
        self.host = String(hostPart)
        self.port = port
        for item in query.split(separator: "&") where !item.isEmpty {
            try apply(String(item), url: url)
        }
    }

    private mutating func apply(_ item: String, url: String) throws(URLError) {
        let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
        guard transport == .rfc2217 else {
            throw URLError(description: "\(url): tcp:// takes no settings ('\(item)'); use rfc2217:// for line settings")
        }
        switch (parts[0], parts.count == 2 ? parts[1] : nil) {
        case ("format", let value?):
            guard let format = ComPortSettings.parseFormat(value) else {
                throw URLError(description: "\(url): format '\(value)' is not like 8N1 (data bits 5-8, parity N/O/E/M/S, stop bits 1, 1.5 or 2)")
            }
            (dataBits, parity, stopBits) = format
        case ("purge", let value?):
            switch value {
            case "rx": purge = .received
            case "tx": purge = .transmit
            case "both": purge = .both
            default: throw URLError(description: "\(url): purge is rx, tx or both, not '\(value)'")
            }
        default:
            throw URLError(description: "\(url): unknown setting '\(item)' (known: format=8N1, purge=rx|tx|both)")
        }
    }

    /// The RFC 2217 settings for a connection at `baud`, with DTR and RTS raised when `assertDTR`.
    public func settings(baud: Int, assertDTR: Bool) -> ComPortSettings {
        ComPortSettings(baud: UInt32(clamping: baud), dataBits: dataBits, parity: parity, stopBits: stopBits,
                        dtr: assertDTR ? true : nil, rts: assertDTR ? true : nil, purge: purge)
    }

    /// `rfc2217://host:port`, the name the follower reports the console by.
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(transport.rawValue)://\(shownHost):\(port)"
    }

    /// The console as the follower's device: its URL stands where a tty's node would.
    public var device: SerialDevice { SerialDevice(devnode: description) }
}
