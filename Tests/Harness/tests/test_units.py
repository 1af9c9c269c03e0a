"""Pure parts of the harness: hashing, uevent encoding, flash semantics, descriptors."""
import struct

from picoharness import descriptors, uevent
from picoharness.flash import Flash, bootable, crc32_mpeg2


def test_murmur_hash_matches_systemd_string_hash32():
    # Reference values from systemd's string_hash32 compiled in C.
    assert uevent.murmur_hash2("usb") == 0x0577C5E5
    assert uevent.murmur_hash2("tty") == 0x8AFA90C8
    assert uevent.murmur_hash2("usb_device") == 0x27F8F50C
    assert uevent.murmur_hash2("usb_interface") == 0xB1024765


def test_uevent_message_layout():
    msg = uevent.encode("add", "/devices/x", {"SUBSYSTEM": "tty", "DEVNAME": "/dev/ttyACM0"})
    prefix, header, off, length = struct.unpack_from("<8s4xIII", msg)
    assert prefix == b"libudev\0" and msg[8:12] == b"\xfe\xed\xca\xfe" and header == 40 and off == 40
    body = msg[40:].split(b"\0")[:-1]
    assert body[:2] == [b"ACTION=add", b"DEVPATH=/devices/x"]
    assert b"DEVNAME=/dev/ttyACM0" in body and len(msg) == 40 + length
    assert struct.unpack_from(">I", msg, 24)[0] == uevent.murmur_hash2("tty")


def test_crc32_mpeg2_check_value():
    assert crc32_mpeg2(b"123456789") == 0x0376E6E7


def test_flash_programs_by_and_and_erases_to_ff():
    f = Flash(64 * 1024)
    f.program(0, b"\x0f" * 256)
    f.program(0, b"\xf3" * 256)
    assert f.read(0, 4) == b"\x03" * 4
    f.erase(0, 4096)
    assert f.read(0, 4096) == b"\xff" * 4096


def test_flash_reads_alias_past_the_chip_size():
    f = Flash(64 * 1024)
    f.program(0, b"\x12" * 256)
    assert f.read(64 * 1024, 2) == b"\x12\x12"


def test_boot2_crc_decides_whether_rp2040_boots():
    f = Flash(64 * 1024)
    assert not bootable("rp2040", f)
    boot2 = bytes(range(252))
    f.program(0, boot2 + crc32_mpeg2(boot2).to_bytes(4, "little"))
    assert bootable("rp2040", f)


def test_bootsel_descriptors_have_picoboot_interface():
    d = descriptors.bootsel("rp2040", "E0C912D24340")
    cfg = d.configuration()
    assert struct.unpack_from("<H", cfg, 2)[0] == len(cfg) == 55
    assert d.device()[:4] == bytes([18, 1, 0x10, 0x01])
    assert [(i.cls, i.subclass, i.protocol) for i in d.interfaces] == [(8, 6, 0x50), (0xFF, 0, 0)]
    only_picoboot = descriptors.bootsel("rp2040", "x", interfaces_disabled=1)
    assert [(i.number, i.cls) for i in only_picoboot.interfaces] == [(0, 0xFF)]


def test_app_descriptors_have_cdc_and_reset_interface():
    d = descriptors.app("rp2350", "0123456789ABCDEF")
    assert struct.unpack_from("<HH", d.device(), 8) == (0x2E8A, 0x0009)
    assert [(i.cls, i.subclass, i.protocol) for i in d.interfaces][2] == (0xFF, 0, 1)
    assert d.string(3) == bytes([34, 3]) + "0123456789ABCDEF".encode("utf-16-le")


def test_partition_table_laid_out_as_picotool_and_answered_as_the_bootrom_does():
    from picoharness.partitions import PartitionTable, table_answer, uf2_target
    perms = {"secure": "rw", "nonsecure": "rw", "bootloader": "rw"}
    fams = ["rp2350-arm-s", "rp2350-riscv"]
    table = PartitionTable({"unpartitioned": {"families": ["absolute"], "permissions": perms},
                            "partitions": [{"name": "A", "id": 0, "size": "2036K", "families": fams, "permissions": perms},
                                           {"name": "B", "id": 1, "size": "2036K", "families": fams, "permissions": perms,
                                            "link": ["a", 0]}]})
    # The same words the Swift decoder's golden test uses (picotool's default-pt.json).
    assert table_answer(table, 0x31) == [0x31, 0x102, 0xFFFFE000, 0xFC008000, 0xFC3FC002, 0xFC061001, 0, 0,
                                         0xFC7F61FF, 0xFC061003, 1, 0]
    assert table_answer(table, 0x80C0 | 1 << 24) == [0x80C0, 0x4201]          # name "B": length 1, 'B'
    assert uf2_target(table, 0xE48BFF59, False, lambda a: 0) == [3, 1, 0xFC7F61FF, 0xFC061003]
    assert uf2_target(table, 0xE48BFF59, False, lambda a: 1)[1] == 0
    assert uf2_target(table, 0xE48BFF5B, False, lambda a: 0) == [3, 0xFFFFFFFF, 0, 0]
    assert uf2_target(None, 0xE48BFF59, False, lambda a: 0)[1] == 0xFF
