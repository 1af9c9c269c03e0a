"""The RP2350 bootrom's partition table, UF2 target choice and OTP reads, for the simulated board.

Tables come as picotool's partition-table JSON (picotool json/schemas/partition-table-schema.json)
and are laid out as `picotool partition create` lays them out: partitions follow each other from
sector 2 unless they give a start. Bit layouts: pico-sdk boot/picobin.h (PICOBIN_PARTITION_*),
answer layouts: boot/bootrom_constants.h (PT_INFO_*) and the bootrom's get_partition_table_info.
"""
from __future__ import annotations

PERMISSIONS = 0xFC00_0000
BL_WRITE = 0x8000_0000
HAS_ID, HAS_NAME = 0x1, 0x1000
IGNORED_ARM, IGNORED_RISCV, AB_AFFINITY, NO_REBOOT = 0x200, 0x400, 0x800, 0x2000
FAMILIES = ["rp2040", "absolute", "data", "rp2350-arm-s", "rp2350-riscv", "rp2350-arm-ns"]   # bits 14..19
FAMILY_IDS = {name: 0xE48BFF56 + i for i, name in enumerate(FAMILIES)} | {"cyw43-firmware": 0xE48BFF55}
NO_PARTITION = 0xFF
PT_INFO, LOCATION, ID, FAMILY_IDS_ITEM, NAME, SINGLE = 0x1, 0x10, 0x20, 0x40, 0x80, 0x8000
# Unpartitioned space without a table: all permissions; absolute, rp2350-arm-s and rp2350-riscv.
DEFAULT_UNPARTITIONED = (PERMISSIONS | 0x3FFE000, PERMISSIONS | (1 << 15) | (1 << 17) | (1 << 18))


def _permissions(p: dict) -> int:
    bits = 0
    for key, (r, w) in {"secure": (0x0400_0000, 0x0800_0000), "nonsecure": (0x1000_0000, 0x2000_0000),
                        "bootloader": (0x4000_0000, 0x8000_0000)}.items():
        bits |= (r if "r" in p.get(key, "") else 0) | (w if "w" in p.get(key, "") else 0)
    return bits


def _families(names: list[str]) -> tuple[int, list[int]]:
    flags, extra = 0, []
    for name in names:
        fid = FAMILY_IDS.get(name, int(name, 16) if name.startswith("0x") else None)
        if fid is None:
            raise ValueError(f"unknown family {name!r}")
        if name in FAMILIES or fid in (FAMILY_IDS[f] for f in FAMILIES):
            flags |= 1 << (14 + fid - 0xE48BFF56)
        else:
            extra.append(fid)
    return flags, extra


def _sectors(value) -> int:
    if isinstance(value, str) and value.lower().endswith("k"):
        value = int(value[:-1]) * 1024
    value = int(value, 0) if isinstance(value, str) else int(value)
    if value < 4096:
        return value
    if value % 4096:
        raise ValueError("start and size must be multiples of 4K")
    return value // 4096


class PartitionTable:
    """A loaded table: unpartitioned space words and partitions (dicts of words, id, name, extra families)."""

    def __init__(self, description: dict):
        un = description["unpartitioned"]
        flags = _permissions(un["permissions"]) | _families(un["families"])[0]
        self.unpartitioned = (flags & PERMISSIONS | 0x3FFE000, flags)
        self.partitions: list[dict] = []
        pos = 2
        for index, p in enumerate(description["partitions"]):
            start = _sectors(p["start"]) if "start" in p else pos
            size = _sectors(p["size"])
            pos = start + size
            perms = _permissions(p["permissions"])
            fam, extra = _families(p["families"])
            flags = perms | fam | len(extra) << 7
            if "link" in p:
                kind, value = p["link"]
                flags |= {"a": 1, "owner": 2, "none": 0}[kind] << 1 | (value & 0xF) << 3
            if "name" in p:
                flags |= HAS_NAME
            if "id" in p:
                flags |= HAS_ID
            for key, bit in (("no_reboot_on_uf2_download", NO_REBOOT), ("ab_non_bootable_owner_affinity", AB_AFFINITY),
                             ("ignored_during_riscv_boot", IGNORED_RISCV), ("ignored_during_arm_boot", IGNORED_ARM)):
                if p.get(key):
                    flags |= bit
            pid = p.get("id")
            self.partitions.append({
                "index": index, "location": perms | start | (start + size - 1) << 13, "flags": flags,
                "id": (int(pid, 0) if isinstance(pid, str) else pid), "name": p.get("name"), "extra": extra})

    def b_of(self, index: int) -> dict | None:
        return next((p for p in self.partitions if (p["flags"] >> 1) & 3 == 1 and (p["flags"] >> 3) & 0xF == index), None)


def table_answer(table: PartitionTable | None, items: int) -> list[int]:
    """GET_INFO type 2 words after the word count, in the bootrom's order."""
    parts = table.partitions if table else []
    un = table.unpartitioned if table else DEFAULT_UNPARTITIONED
    words = [items & (PT_INFO | LOCATION | ID | FAMILY_IDS_ITEM | NAME | SINGLE)]
    if items & PT_INFO:
        words += [len(parts) | (0x100 if table else 0), *un]
    for p in parts:
        if items & SINGLE and p["index"] != items >> 24:
            continue
        if items & LOCATION:
            words += [p["location"], p["flags"]]
        if items & ID and p["flags"] & HAS_ID:
            words += [p["id"] & 0xFFFFFFFF, p["id"] >> 32]
        if items & FAMILY_IDS_ITEM:
            words += p["extra"]
        if items & NAME and p["flags"] & HAS_NAME:
            raw = bytes([len(p["name"])]) + p["name"].encode()
            raw += bytes(-len(raw) % 4)
            words += [int.from_bytes(raw[i:i + 4], "little") for i in range(0, len(raw), 4)]
    return words


def uf2_target(table: PartitionTable | None, family: int, riscv: bool, booted) -> list[int]:
    """GET_INFO type 3 words: [3, index (0xff unpartitioned, all ones none), location, flags].

    As the bootrom's get_uf2_target_partition: without a table (or for absolute) the unpartitioned
    space if it accepts the family; else the first bootloader-writable A partition accepting it,
    bootable-for-this-CPU unowned first, then the other CPU, then unowned, then any; of an A/B pair
    the side that does not boot (`booted(a)` gives 0 for A, 1 for B).
    """
    bit = 1 << (14 + family - 0xE48BFF56) if 0 <= family - 0xE48BFF56 < 6 else 0
    if table is None or not table.partitions or family == FAMILY_IDS["absolute"]:
        un = table.unpartitioned if table else DEFAULT_UNPARTITIONED
        return [3, NO_PARTITION, *un] if un[1] & bit else [3, 0xFFFFFFFF, 0, 0]
    for unowned, bootable, cpu_riscv in ((True, True, riscv), (True, True, not riscv), (True, False, riscv), (False, False, riscv)):
        for p in table.partitions:
            link_type, link = (p["flags"] >> 1) & 3, (p["flags"] >> 3) & 0xF
            if link_type == 1 or not p["location"] & p["flags"] & BL_WRITE:
                continue
            if not (p["flags"] & bit or family in p["extra"]):
                continue
            if bootable and p["flags"] & (IGNORED_RISCV if cpu_riscv else IGNORED_ARM):
                continue
            top = p["index"]
            if link_type == 2:
                if unowned:
                    continue
                if link < len(table.partitions):
                    top = link
            b = table.b_of(p["index"])
            if b is None:
                return [3, p["index"], p["location"], p["flags"]]
            if not b["location"] & b["flags"] & BL_WRITE:
                continue
            which = booted(top)
            if top == p["index"] or p["flags"] & AB_AFFINITY:
                which ^= 1
            chosen = b if which else p
            return [3, chosen["index"], chosen["location"], chosen["flags"]]
    return [3, 0xFFFFFFFF, 0, 0]
