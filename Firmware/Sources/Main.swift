// The picoctl companion firmware: checks a board and its cable. It boots through our own boot2,
// runs the clocks at 125 MHz / 48 MHz, logs a banner and a heartbeat on UART0 and USB CDC,
// echoes what it receives, blinks the LED and offers the pico-sdk reset interface.

/// Program name and version, also in the binary info (build.sh keeps them in step).
enum Program {
    static let name: StaticString = "picoctl-companion"
    static let version: StaticString = "0.1.0"
    /// Microseconds between heartbeat lines.
    static let heartbeatPeriod: UInt64 = 1_000_000
    /// Microseconds between LED toggles.
    static let blinkPeriod: UInt64 = 250_000
}

@main
struct Companion {
    static func main() {
        unreset(ResetBit.ioBank0 | ResetBit.padsBank0 | ResetBit.timer)
        initClocks()
        UART0.start()
        GPIO.makeOutput(ledPin)
        ChipInfo.readUniqueID()
        USBDevice.start()

        banner()
        var beats: UInt32 = 0
        var nextBeat = Timer.now() + Program.heartbeatPeriod
        var nextBlink = Timer.now() + Program.blinkPeriod
        var bannerSentOnCDC = false
        while true {
            Interrupts.clearPending()
            USBDevice.poll()
            if CDCRing.accepting && !bannerSentOnCDC {
                bannerSentOnCDC = true
                Console.toUART = false
                banner()
                Console.toUART = true
            } else if !CDCRing.accepting {
                bannerSentOnCDC = false
            }
            while let byte = UART0.read() { echo(byte) }
            while let byte = USBDevice.receivedByte() { echo(byte) }
            let now = Timer.now()
            if now >= nextBlink {
                GPIO.toggle(ledPin)
                nextBlink += Program.blinkPeriod
            }
            Reboot.runIfDue(now: now)
            if now >= nextBeat {
                beats += 1
                heartbeat(count: beats, uptime: now)
                nextBeat += Program.heartbeatPeriod
            }
            USBDevice.flush()
            var wake = nextBlink < nextBeat ? nextBlink : nextBeat
            if Reboot.target != nil && Reboot.deadline < wake { wake = Reboot.deadline }
            if USBDevice.configured && !CDC.outArmed && CDC.outRearmAt < wake { wake = CDC.outRearmAt }
            if USBDevice.idle && Timer.armWakeup(at: wake) {
                Interrupts.sleep(wakingOn: (1 << Interrupts.timer0) | (1 << Interrupts.usbctrl) | (1 << Interrupts.uart0))
            }
        }
    }

    /// "picoctl-companion 0.1.0 id E6614103E7A12345 chip RP2040-B1 rom 2 rev 1"
    static func banner() {
        Console.write(Program.name)
        Console.write(" ")
        Console.write(Program.version)
        Console.write(" id ")
        Console.writeUniqueID()
        Console.write(" chip RP2040-")
        let step = ChipInfo.stepping()
        Console.put(step.letter)
        Console.put(step.digit)
        Console.write(" rom ")
        Console.write(decimal: ChipInfo.romVersion())
        Console.write(" rev ")
        Console.write(decimal: ChipInfo.chipRevision())
        Console.newline()
    }

    /// "heartbeat 3 uptime_ms 3001"
    static func heartbeat(count: UInt32, uptime: UInt64) {
        Console.write("heartbeat ")
        Console.write(decimal: count)
        Console.write(" uptime_ms ")
        Console.write(decimal: UInt32(truncatingIfNeeded: divide(uptime, by: 1000)))
        Console.newline()
    }

    /// "echo: <line>" is too chatty for a byte stream: received bytes come back as they are.
    static func echo(_ byte: UInt8) {
        Console.put(byte)
    }
}
