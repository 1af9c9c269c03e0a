// PicoBoot: the PICOBOOT protocol of the RP2040 and RP2350 bootroms, without I/O.
//
// - One type per wire command (`ExclusiveAccess`, `Reboot`, `FlashErase`, `Read`, `Write`, `ExitXIP`,
//   `EnterCommandXIP`, `Exec`, `VectorizeFlash`, `Reboot2`, `GetInfo`, `OTPRead`), each encoding its
//   arguments and data phase into a 32-byte `CommandPacket`.
// - `PicobootStatus` maps the device's status codes to words, in one place; `CommandStatus` decodes
//   the 16-byte GET_COMMAND_STATUS answer.
// - `PicobootSession` is the host's state machine; `PicobootConnection` drives it over any
//   `PicobootTransport` (libusb in PicoUSB, a model in PicoSim), with stall recovery and timeouts:
//
//     let connection = PicobootConnection(transport: transport)
//     try connection.reset()                                   // clear halts, INTERFACE_RESET
//     try connection.exclusiveAccess(.exclusive)
//     let boot2 = try connection.read(address: 0x1000_0000, count: 256)
//
// Failures are `PicobootError`s carrying the command, address, token, device status and a fix.
