"""Human-readable reports: the fit report of `eerom build` and the output of `inspect`."""

from . import mpy, romfs
from .image import METHOD_NAMES
from .parts import PARTS


def percent(n, d):
    return "%d %%" % round(100.0 * n / d) if d else "-"


_pct = percent


def registry_estimate(build, manifest=None):
    """The registry's size-check figure for the files of `build`, as the registry would
    ship them: compiled .mpy with its USE_MPY marker, else the sources (a folder without
    eeprom.json: the files as built)."""
    from .littlefs_layout import RegistryEstimate

    use_mpy = manifest is None or build.use_mpy
    sizes = [len(f.data) if use_mpy or f.how != "compiled" else f.source_size for f in build.files]
    fs_offset = manifest.fs_offset if manifest is not None else build.part.fs_offset
    return RegistryEstimate(sizes, build.part.size, fs_offset)


def fit_report(build, lfs=None, lfs_note=None, manifest=None):
    part, image, sb = build.part, build.image, build.image.superblock
    lines = []
    w = max([len(f.path) for f in build.files] + [20])
    lines.append("%-*s  %8s  %8s  %9s" % (w, "file", "source", "in image", "~deflated"))
    for f in build.files:
        how = {"compiled": ".py -> .mpy", "kept": "as is", "data": "data", "romfs": "from .romfs",
               "source": "source (native)"}[f.how]
        arch = mpy.mpy_arch(f.data) if f.path.endswith(".mpy") else None
        if arch:
            how += ", %s code" % arch
        marg = "%9d" % f.marginal if f.marginal is not None else "%9s" % "-"
        lines.append("%-*s  %8d  %8d  %s  %s" % (w, f.path, f.source_size, len(f.data), marg, how))
    src = sum(f.source_size for f in build.files)
    stored = sum(len(f.data) for f in build.files)
    lines.append("%-*s  %8d  %8d" % (w, "total", src, stored))
    if build.left_out:
        lines.append("left out: " + ", ".join(build.left_out))
    lines.append("")
    lines.append("ROMFS image       %6d B  (%d B of names and records)" % (len(build.romfs), len(build.romfs) - stored))
    lines.append("payload           %6d B  (%s layout, %s, %s of the ROMFS)" % (
        sb.stored_size, build.layout, build.method_label, _pct(sb.stored_size, len(build.romfs))))
    lines.append("eerom image       %6d B  = 32 header + %d fill + %d superblock + %d payload" % (
        image.size, image.header.fs_offset - 32, sb.sb_size, sb.stored_size))
    if build.dictionary is not None:
        from .dictionary import dict_id
        saved = build.dictionary_saved
        lines.append("preset dictionary 0x%08x (%d B): %s %d B; only an eerom firmware holding it "
                     "mounts the image (--dict none: any)" % (dict_id(build.dictionary), len(build.dictionary),
                                                            "saves" if saved >= 0 else "costs", abs(saved)))
    verdict = "fits" if build.fits else "DOES NOT FIT"
    lines.append("%s %s: %d of %d B (%s), %d B %s" % (
        verdict, part.name, image.size, part.size, _pct(image.size, part.size),
        abs(part.size - image.size), "free" if build.fits else "over"))
    lines.append("")
    reg = registry_estimate(build, manifest)
    lines.append("badge today, by the registry's size check (LittleFS, %d B blocks, a formula):" % reg.block_size)
    lines.append("  %d of %d B room (%s)%s; eerom uses %s of that" % (
        reg.used, reg.room, _pct(reg.used, reg.room), "" if reg.fits else ", FAILS the check",
        _pct(image.size, reg.used)))
    if lfs is not None and not lfs.possible:
        lines.append("  real LittleFS layout (%s): cannot store these files at all" % lfs.tool)
        lines.append("  (a file entry with its name and mtime does not fit a %d-byte metadata block)" % lfs.block_size)
    elif lfs is not None:
        real = lfs.blocks_used * lfs.block_size
        lines.append("  real LittleFS layout (%s): %d of %d blocks -> %d of %d B (%s)%s%s" % (
            lfs.tool, lfs.blocks_used, lfs.blocks_available, lfs.size, part.size, _pct(lfs.size, part.size),
            "" if lfs.fits else ", does NOT fit",
            "" if real == reg.used else "; the formula says %d B of blocks" % reg.used))
        lines.append("  eerom uses %d B, %s of the real layout" % (image.size, _pct(image.size, lfs.size)))
    elif lfs_note:
        lines.append("  " + lfs_note)
    for w_ in build.warnings:
        lines.append("warning: " + w_)
    return "\n".join(lines)


def not_fitting_hint(build):
    """What would help when the image is too big for the part."""
    over = build.size - build.part.size
    tips = []
    bigger = [p for p in PARTS if build.size - build.part.fs_offset + p.fs_offset <= p.size]
    if bigger:
        tips.append("a bigger part: %s (%d B) would hold it" % (bigger[0].name, bigger[0].size))
    costly = sorted((f for f in build.files if f.marginal), key=lambda f: -f.marginal)[:3]
    if costly:
        tips.append("shrink or drop the costliest files: " + ", ".join(
            "%s (~%d B)" % (f.path, f.marginal) for f in costly))
    if any(f.how == "kept" and f.path.endswith(".py") for f in build.files):
        tips.append("compile sources to .mpy (leave out --keep-py)")
    tips.append("move large data to the badge's flash, or fetch it at run time")
    return "the image is %d B over; what would help: %s" % (over, "; ".join(tips))


def inspect_report(data, image=None, error=None, header=None, superblock=None, device=None):
    """Describe an image.  `image` is a fully checked Image, or None with the error;
    `device` is (link.MountInfo, files) when a board's eerom module checked it."""
    lines = []
    h = image.header if image is not None else header
    if h is not None:
        lines.append("header (32 B at 0):")
        d = h.as_dict()
        for k in ("manifest_version", "vid", "pid", "unique_id", "name", "fs_offset", "page_size", "total_size"):
            lines.append("  %-17s %s" % (k, d[k]))
    sb = image.superblock if image is not None else superblock
    if sb is not None:
        lines.append("superblock (%d B at %d):" % (sb.sb_size, h.fs_offset))
        lines.append("  %-17s %d" % ("format version", sb.version))
        lines.append("  %-17s %s" % ("method", METHOD_NAMES.get(sb.method, "unknown %d" % sb.method)))
        lines.append("  %-17s %d B" % ("stored size", sb.stored_size))
        lines.append("  %-17s %d B" % ("image size", sb.image_size))
        lines.append("  %-17s 0x%08x" % ("payload crc32", sb.payload_crc))
        if sb.dict_id is not None:
            lines.append("  %-17s 0x%08x (a preset dictionary the firmware must hold)" % ("dictionary", sb.dict_id))
    if error is not None:
        lines.append("check: FAILED [%s] %s" % (error.problem, error.message))
        if error.hint:
            lines.append("  hint: " + error.hint)
        return "\n".join(lines)
    if device is not None:
        info, files = device
        lines.append("check: OK on the board: eerom mounted it (%d B stored, %d B inflated)"
                     % (info.stored_size, info.image_size))
        lines.append("files: " + ", ".join(files))
        return "\n".join(lines)
    lines.append("check: OK (header checksum, superblock CRC, payload CRC, inflate, ROMFS structure)")
    end = image.size
    lines.append("size: %d B of a %d B part (%s); compression %s (%d -> %d B)" % (
        end, h.total_size, _pct(end, h.total_size), _pct(sb.stored_size, sb.image_size),
        sb.image_size, sb.stored_size))
    if len(data) > end:
        lines.append("(input has %d more bytes after the image: ignored)" % (len(data) - end))
    lines.append("files:")
    root = romfs.check(image.romfs)
    lines.extend(tree_lines(root))
    return "\n".join(lines)


def tree_lines(node, prefix="  "):
    out = []
    for i, child in enumerate(node.children):
        last = i == len(node.children) - 1
        branch = "`-- " if last else "|-- "
        if child.is_dir:
            out.append("%s%s%s/" % (prefix, branch, child.name))
            out.extend(tree_lines(child, prefix + ("    " if last else "|   ")))
        else:
            kind = ""
            if child.name.endswith(".mpy"):
                arch = mpy.mpy_arch(child.data)
                kind = "  %s native code" % arch if arch else "  bytecode"
            out.append("%s%s%-*s %7d B%s" % (prefix, branch, max(1, 28 - len(prefix)), child.name,
                                              len(child.data), kind))
    return out
