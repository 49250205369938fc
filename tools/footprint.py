#!/usr/bin/env python3
"""What a user C module adds to a firmware: compare two ELF builds of it.

    python tools/footprint.py BASELINE.elf WITH_MODULE.elf [--top 15]

Prints Markdown: bytes added per kind (code, read-only data, initialised data, zeroed
RAM), worked out from the symbol tables (functions are code; objects are classified by
the section they live in, so .rodata merged into .text still counts as rodata), the
ELF section totals as `size` shows them, and the largest symbols that are new or grew.
Uses pyelftools.  `make footprint` runs it on the qemu ARM firmware with and without
eerom.
"""

import argparse
import sys

from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

KINDS = ("code", "rodata", "data", "bss")


def symbols(path):
    """{name: (kind, size)} for sized FUNC/OBJECT symbols, and section totals."""
    out = {}
    with open(path, "rb") as f:
        elf = ELFFile(f)
        sections = {i: s for i, s in enumerate(elf.iter_sections())}
        totals = {"text": 0, "data": 0, "bss": 0}
        for s in elf.iter_sections():
            flags = s["sh_flags"]
            if not flags & 0x2:  # SHF_ALLOC
                continue
            if s["sh_type"] == "SHT_NOBITS":
                totals["bss"] += s["sh_size"]
            elif flags & 0x1:  # SHF_WRITE
                totals["data"] += s["sh_size"]
            else:
                totals["text"] += s["sh_size"]
        table = elf.get_section_by_name(".symtab")
        if not isinstance(table, SymbolTableSection):
            raise SystemExit("%s has no symbol table" % path)
        for sym in table.iter_symbols():
            size = sym["st_size"]
            kind = sym["st_info"]["type"]
            if size == 0 or kind not in ("STT_FUNC", "STT_OBJECT") or not isinstance(sym["st_shndx"], int):
                continue
            section = sections[sym["st_shndx"]]
            if kind == "STT_FUNC":
                what = "code"
            elif section["sh_type"] == "SHT_NOBITS":
                what = "bss"
            elif section["sh_flags"] & 0x1:
                what = "data"
            else:
                what = "rodata"
            name = sym.name
            if sym["st_info"]["bind"] == "STB_LOCAL":
                name = "%s (local)" % name
            # several locals may share a name: keep them apart
            while name in out:
                name += "'"
            out[name] = (what, size)
    return out, totals


def compare(base_path, with_path, top=15):
    base, base_totals = symbols(base_path)
    new, new_totals = symbols(with_path)
    added = {k: 0 for k in KINDS}
    changes = []
    for name, (kind, size) in new.items():
        old = base.get(name)
        delta = size - (old[1] if old and old[0] == kind else 0)
        if old and old[0] != kind:
            added[old[0]] -= old[1]
        if delta:
            added[kind] += delta
            changes.append((delta, name, kind, "new" if old is None else "grew"))
    for name, (kind, size) in base.items():
        if name not in new:
            added[kind] -= size
            changes.append((-size, name, kind, "gone"))
    changes.sort(reverse=True)
    return added, base_totals, new_totals, changes[:top]


def report(base_path, with_path, top=15):
    added, bt, nt, changes = compare(base_path, with_path, top)
    text = nt["text"] - bt["text"]
    literals = text - added["code"] - added["rodata"]
    lines = ["| added | code | rodata | data | bss |", "|---|---|---|---|---|"]
    lines.append("| named symbols | %d | %d | %d | %d |" % tuple(added[k] for k in KINDS))
    lines.append("| string literals and other unnamed read-only data | | %d | | |" % literals)
    lines.append("| total | %d | %d | %d | %d |" % (added["code"], added["rodata"] + literals,
                                                     nt["data"] - bt["data"], nt["bss"] - bt["bss"]))
    lines.append("")
    lines.append("| ELF sections (`size`) | text | data | bss |")
    lines.append("|---|---|---|---|")
    lines.append("| without | %d | %d | %d |" % (bt["text"], bt["data"], bt["bss"]))
    lines.append("| with | %d | %d | %d |" % (nt["text"], nt["data"], nt["bss"]))
    lines.append("| difference | %+d | %+d | %+d |" % (nt["text"] - bt["text"], nt["data"] - bt["data"],
                                                       nt["bss"] - bt["bss"]))
    lines.append("")
    lines.append("| largest new or grown symbols | kind | bytes | |")
    lines.append("|---|---|---|---|")
    for delta, name, kind, how in changes:
        lines.append("| `%s` | %s | %+d | %s |" % (name, kind, delta, how))
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("baseline")
    ap.add_argument("with_module")
    ap.add_argument("--top", type=int, default=15)
    args = ap.parse_args(argv)
    print(report(args.baseline, args.with_module, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
