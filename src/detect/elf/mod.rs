//! ELF headers to facts: CPU (in OCI names), type, interpreter, libc, DT_NEEDED, soname,
//! minimum glibc. Works on a bounded prefix of the file and says what lay beyond it.
//!
//! Bounded by hand rather than through goblin's `Elf::parse`, which wants the whole file
//! and allocates by header counts; every count and offset here is checked against the
//! prefix and capped, so a hostile header costs at most a few thousand loop turns.

use crate::oci::Arch;

use super::{ElfInfo, ElfType, Libc};

/// How much of an ELF the classifier reads before parsing (program headers, dynamic
/// segment, string table and version needs nearly always sit well inside it).
pub const ELF_PREFIX_CAP: usize = 4 * 1024 * 1024;

mod arm;
mod property;
#[cfg(test)]
mod tests;

use arm::arm_cpu_arch;

const MAX_PHNUM: usize = 1024;
const MAX_SHNUM: usize = 8192;
const MAX_DYN: usize = 8192;
const MAX_STR: usize = 4096;
const MAX_VERNEED: usize = 4096;

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const PT_NOTE: u32 = 4;
const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;
const DT_STRTAB: u64 = 5;
const DT_STRSZ: u64 = 10;
const DT_SONAME: u64 = 14;
const DT_FLAGS_1: u64 = 0x6fff_fffb;
const DT_VERNEED: u64 = 0x6fff_fffe;
const DT_VERNEEDNUM: u64 = 0x6fff_ffff;
const DF_1_PIE: u64 = 0x0800_0000;
const SHT_ARM_ATTRIBUTES: u32 = 0x7000_0003;
const EM_ARM: u16 = 40;

/// Everything parsed from one ELF prefix.
#[derive(Debug, Clone, PartialEq)]
pub struct ElfFacts {
    pub info: ElfInfo,
    /// The CPU in OCI names, `None` for a machine we have no OCI name for.
    pub arch: Option<Arch>,
    pub libc: Option<Libc>,
    /// A `Go` note (`.note.go.buildid`) sits in the prefix: the Go toolchain linked it.
    pub go_note: bool,
    /// Byte ranges (offset, length) past what was in memory that would complete the
    /// facts (the dynamic segment of a big binary); capture them and call [`parse_with`].
    pub wanted: Vec<(u64, u64)>,
}

/// Why an ELF could not be parsed at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ElfError {
    #[error("not an ELF file (no \\x7fELF magic)")]
    NotElf,
    #[error("ELF header is cut short ({0} bytes); the file is truncated or corrupt")]
    Truncated(usize),
    #[error("ELF header has an invalid {0}; the file is corrupt or not really ELF")]
    Invalid(&'static str),
}

/// Whether `head` starts with the ELF magic.
pub fn is_elf(head: &[u8]) -> bool {
    head.starts_with(b"\x7fELF")
}

/// The OCI architecture for an ELF `e_machine`, given the class (32/64), byte order and
/// `e_flags`. ARM's variant comes from the float-ABI flag here; [`parse`] refines it from
/// `.ARM.attributes` when it can reach that section.
pub fn arch_of_elf_machine(machine: u16, class: u8, big_endian: bool, flags: u32) -> Option<Arch> {
    let a = |n: &str| Some(Arch::new(n, None));
    match machine {
        62 => a("amd64"),
        183 => a("arm64"),
        // EF_ARM_ABI_FLOAT_HARD / _SOFT (ARM ELF ABI, e_flags): Debian armhf / armel.
        EM_ARM if flags & 0x400 != 0 => Some(Arch::new("arm", Some("v7"))),
        EM_ARM if flags & 0x200 != 0 => Some(Arch::new("arm", Some("v6"))),
        EM_ARM => a("arm"),
        3 | 6 => a("386"),
        // ELFv2 (flags & 3 == 2) is the little-endian ABI; big-endian is ppc64.
        21 if !big_endian || flags & 3 == 2 => a("ppc64le"),
        21 => a("ppc64"),
        20 => a("ppc"),
        22 if class == 64 => a("s390x"),
        22 => a("s390"),
        243 if class == 64 => a("riscv64"),
        243 => a("riscv32"),
        8 | 10 => {
            let base = if class == 64 { "mips64" } else { "mips" };
            let le = if big_endian && machine == 8 { "" } else { "le" };
            Some(Arch::new(&format!("{base}{le}"), None))
        }
        258 => a("loong64"),
        _ => None,
    }
}

/// A human name for an `e_machine`, for details and messages.
pub fn machine_name(machine: u16) -> &'static str {
    match machine {
        62 => "x86-64",
        183 => "AArch64",
        EM_ARM => "ARM",
        3 => "Intel 80386",
        21 => "PowerPC64",
        20 => "PowerPC",
        22 => "IBM S/390",
        243 => "RISC-V",
        8 | 10 => "MIPS",
        258 => "LoongArch",
        _ => "unknown machine",
    }
}

/// Byte-order and class aware reads that never index out of bounds.
#[derive(Clone, Copy)]
struct Rd<'a> {
    b: &'a [u8],
    /// Pieces of the file past the prefix, captured while streaming: (file offset, bytes).
    extra: &'a [Extent],
    be: bool,
    wide: bool,
}

impl<'a> Rd<'a> {
    /// The file from `off` to the end of whichever piece in memory holds it.
    fn slice_from(&self, off: u64) -> Option<&'a [u8]> {
        if let Ok(o) = usize::try_from(off)
            && o < self.b.len()
        {
            return self.b.get(o..);
        }
        self.extra.iter().find_map(|(start, data)| {
            let rel = usize::try_from(off.checked_sub(*start)?).ok()?;
            (rel < data.len()).then(|| &data[rel..])
        })
    }
    fn bytes(&self, off: u64, n: usize) -> Option<&'a [u8]> {
        self.slice_from(off)?.get(..n)
    }
    fn u16(&self, off: u64) -> Option<u16> {
        let s: [u8; 2] = self.bytes(off, 2)?.try_into().ok()?;
        Some(if self.be {
            u16::from_be_bytes(s)
        } else {
            u16::from_le_bytes(s)
        })
    }
    fn u32(&self, off: u64) -> Option<u32> {
        let s: [u8; 4] = self.bytes(off, 4)?.try_into().ok()?;
        Some(if self.be {
            u32::from_be_bytes(s)
        } else {
            u32::from_le_bytes(s)
        })
    }
    fn u64(&self, off: u64) -> Option<u64> {
        let s: [u8; 8] = self.bytes(off, 8)?.try_into().ok()?;
        Some(if self.be {
            u64::from_be_bytes(s)
        } else {
            u64::from_le_bytes(s)
        })
    }
    /// A word of the file's class: 4 bytes for ELF32, 8 for ELF64.
    fn word(&self, off: u64) -> Option<u64> {
        if self.wide {
            self.u64(off)
        } else {
            self.u32(off).map(u64::from)
        }
    }
    /// A NUL-terminated string of at most `limit` bytes (and [`MAX_STR`]).
    fn cstr(&self, off: u64, limit: u64) -> Option<String> {
        let rest = self.slice_from(off)?;
        let cap = rest
            .len()
            .min(MAX_STR)
            .min(usize::try_from(limit).unwrap_or(usize::MAX));
        let s = &rest[..cap];
        let end = s.iter().position(|&c| c == 0)?;
        Some(String::from_utf8_lossy(&s[..end]).into_owned())
    }
}

#[derive(Debug, Clone, Copy)]
struct Phdr {
    kind: u32,
    offset: u64,
    vaddr: u64,
    filesz: u64,
}

/// Parses an ELF from a prefix of the file. `file_size` is the whole file's size (for
/// saying whether something lay beyond the prefix). Never panics; a header that cannot
/// be read is an error, anything later that cannot be reached becomes a note.
pub fn parse(prefix: &[u8], file_size: u64) -> Result<ElfFacts, ElfError> {
    parse_with(prefix, &[], file_size)
}

/// A piece of the file beyond the prefix: its file offset and bytes.
pub type Extent = (u64, Vec<u8>);

/// How much of the file before an ARM binary's section header table is captured to reach
/// `.ARM.attributes`.
const ARM_TAIL_CAPTURE: u64 = 64 * 1024;

/// Most bytes of a dynamic segment worth capturing past the prefix.
const MAX_DYNAMIC_CAPTURE: u64 = 256 * 1024;

/// Like [`parse`], with pieces of the file past the prefix that a first parse asked for
/// in [`ElfFacts::wanted`] (the scanner captures them while streaming the rest).
pub fn parse_with(prefix: &[u8], extra: &[Extent], file_size: u64) -> Result<ElfFacts, ElfError> {
    if !is_elf(prefix) {
        return Err(ElfError::NotElf);
    }
    if prefix.len() < 52 {
        return Err(ElfError::Truncated(prefix.len()));
    }
    let class = match prefix[4] {
        1 => 32,
        2 => 64,
        _ => return Err(ElfError::Invalid("class (byte 4)")),
    };
    let big_endian = match prefix[5] {
        1 => false,
        2 => true,
        _ => return Err(ElfError::Invalid("byte order (byte 5)")),
    };
    let wide = class == 64;
    let r = Rd {
        b: prefix,
        extra,
        be: big_endian,
        wide,
    };
    let hdr_len = if wide { 64 } else { 52 };
    if prefix.len() < hdr_len {
        return Err(ElfError::Truncated(prefix.len()));
    }
    let trunc = || ElfError::Truncated(prefix.len());
    let e_type = r.u16(16).ok_or_else(trunc)?;
    let machine = r.u16(18).ok_or_else(trunc)?;
    let (entry, phoff, shoff, flags, phentsize, phnum, shentsize, shnum) = if wide {
        (
            r.u64(24).ok_or_else(trunc)?,
            r.u64(32).ok_or_else(trunc)?,
            r.u64(40).ok_or_else(trunc)?,
            r.u32(48).ok_or_else(trunc)?,
            r.u16(54).ok_or_else(trunc)?,
            r.u16(56).ok_or_else(trunc)?,
            r.u16(58).ok_or_else(trunc)?,
            r.u16(60).ok_or_else(trunc)?,
        )
    } else {
        (
            u64::from(r.u32(24).ok_or_else(trunc)?),
            u64::from(r.u32(28).ok_or_else(trunc)?),
            u64::from(r.u32(32).ok_or_else(trunc)?),
            r.u32(36).ok_or_else(trunc)?,
            r.u16(42).ok_or_else(trunc)?,
            r.u16(44).ok_or_else(trunc)?,
            r.u16(46).ok_or_else(trunc)?,
            r.u16(48).ok_or_else(trunc)?,
        )
    };
    let mut notes = Vec::new();
    // EI_OSABI: 0 (System V) and 3 (GNU/Linux) are what Linux binaries carry.
    match prefix[7] {
        0 | 3 => {}
        9 => notes.push("ELF OS/ABI is FreeBSD: it will not run on Linux".into()),
        6 => notes.push("ELF OS/ABI is Solaris: it will not run on Linux".into()),
        12 => notes.push("ELF OS/ABI is OpenBSD: it will not run on Linux".into()),
        2 => notes.push("ELF OS/ABI is NetBSD: it will not run on Linux".into()),
        // ARM's value 97 and others appear on embedded and firmware images.
        n => notes.push(format!("unusual ELF OS/ABI {n}")),
    }
    let beyond = prefix.len() as u64 >= file_size;
    let where_ = |what: &str| {
        if beyond {
            format!("{what} lies past the end of the file (truncated or corrupt ELF)")
        } else {
            format!(
                "{what} lies beyond the first {} bytes read; not inspected",
                prefix.len()
            )
        }
    };

    // Program headers.
    let min_phent = if wide { 56 } else { 32 };
    let mut phdrs = Vec::new();
    if phnum > 0 {
        if usize::from(phentsize) < min_phent {
            notes.push(format!(
                "program header entry size {phentsize} is too small; ignored"
            ));
        } else {
            let count = usize::from(phnum).min(MAX_PHNUM);
            for i in 0..count {
                let Some(off) = phoff.checked_add(i as u64 * u64::from(phentsize)) else {
                    break;
                };
                let ph = if wide {
                    (|| {
                        Some(Phdr {
                            kind: r.u32(off)?,
                            offset: r.u64(off + 8)?,
                            vaddr: r.u64(off + 16)?,
                            filesz: r.u64(off + 32)?,
                        })
                    })()
                } else {
                    (|| {
                        Some(Phdr {
                            kind: r.u32(off)?,
                            offset: u64::from(r.u32(off + 4)?),
                            vaddr: u64::from(r.u32(off + 8)?),
                            filesz: u64::from(r.u32(off + 16)?),
                        })
                    })()
                };
                match ph {
                    Some(ph) => phdrs.push(ph),
                    None => {
                        notes.push(where_("part of the program header table"));
                        break;
                    }
                }
            }
        }
    }
    let loads: Vec<Phdr> = phdrs
        .iter()
        .copied()
        .filter(|p| p.kind == PT_LOAD)
        .collect();
    let to_offset = |addr: u64| -> Option<u64> {
        loads.iter().find_map(|p| {
            let end = p.vaddr.checked_add(p.filesz)?;
            (addr >= p.vaddr && addr < end).then(|| p.offset + (addr - p.vaddr))
        })
    };

    // PT_INTERP.
    let mut interpreter = None;
    let has_interp = phdrs.iter().any(|p| p.kind == PT_INTERP);
    if let Some(p) = phdrs.iter().find(|p| p.kind == PT_INTERP) {
        match r.cstr(p.offset, p.filesz) {
            Some(s) if !s.is_empty() => interpreter = Some(s),
            Some(_) => notes.push("PT_INTERP is empty".into()),
            None => notes.push(where_("the interpreter path (PT_INTERP)")),
        }
    }

    // The dynamic segment: DT_NEEDED, DT_SONAME, version needs.
    let mut needed = Vec::new();
    let mut soname = None;
    let mut min_glibc: Option<(Vec<u32>, String)> = None;
    let mut pie_flag = false;
    let dynamic = phdrs.iter().find(|p| p.kind == PT_DYNAMIC).copied();
    let mut dynamic_read = false;
    let mut wanted = Vec::new();
    if let Some(d) = dynamic
        && r.slice_from(d.offset).is_none()
        && d.offset < file_size
    {
        wanted.push((d.offset, d.filesz.min(MAX_DYNAMIC_CAPTURE)));
    }
    if let Some(d) = dynamic {
        let ent = if wide { 16 } else { 8 };
        let count = usize::try_from(d.filesz / ent)
            .unwrap_or(MAX_DYN)
            .min(MAX_DYN);
        let mut tags = Vec::new();
        for i in 0..count {
            let off = d.offset.saturating_add(i as u64 * ent);
            let (Some(tag), Some(val)) = (r.word(off), r.word(off + ent / 2)) else {
                notes.push(where_("the dynamic section"));
                break;
            };
            if tag == DT_NULL {
                break;
            }
            tags.push((tag, val));
        }
        dynamic_read = !tags.is_empty();
        let get = |t: u64| tags.iter().find(|(k, _)| *k == t).map(|(_, v)| *v);
        pie_flag = get(DT_FLAGS_1).is_some_and(|f| f & DF_1_PIE != 0);
        let strtab = get(DT_STRTAB).and_then(to_offset);
        let strsz = get(DT_STRSZ).unwrap_or(MAX_STR as u64);
        if let Some(strtab) = strtab {
            let string = |idx: u64| {
                if idx >= strsz {
                    return None;
                }
                r.cstr(strtab.checked_add(idx)?, strsz - idx)
            };
            let mut lost = false;
            for (tag, val) in &tags {
                match *tag {
                    DT_NEEDED => match string(*val) {
                        Some(s) => needed.push(s),
                        None => lost = true,
                    },
                    DT_SONAME => match string(*val) {
                        Some(s) => soname = Some(s),
                        None => lost = true,
                    },
                    _ => {}
                }
            }
            if lost {
                notes.push(where_("part of the dynamic string table"));
            }
            if let (Some(vn), Some(num)) = (get(DT_VERNEED).and_then(to_offset), get(DT_VERNEEDNUM))
            {
                min_glibc = highest_glibc(&r, vn, num, &string, &mut notes, &where_);
            }
        } else if !tags.is_empty() {
            notes.push(where_("the dynamic string table"));
        }
    }

    let go_note = phdrs
        .iter()
        .filter(|p| p.kind == PT_NOTE)
        .any(|p| has_go_note(&r, p.offset, p.filesz));

    let elf_type = match e_type {
        1 => ElfType::Relocatable,
        2 => ElfType::Executable,
        3 if has_interp => ElfType::Executable,
        // ld marks PIEs DF_1_PIE; without PT_INTERP that is a static-pie. Older linkers
        // do not set it: a static-pie then needs nothing and has no soname.
        3 if pie_flag || (dynamic_read && soname.is_none() && needed.is_empty() && entry != 0) => {
            ElfType::StaticPie
        }
        3 => ElfType::SharedObject,
        4 => ElfType::Core,
        _ => ElfType::Other,
    };
    let is_static = !has_interp
        && needed.is_empty()
        && matches!(elf_type, ElfType::Executable | ElfType::StaticPie);

    let mut arch = arch_of_elf_machine(machine, class, big_endian, flags);
    if machine == EM_ARM {
        let sh_end = shoff.saturating_add(u64::from(shnum) * u64::from(shentsize));
        match arm_cpu_arch(&r, shoff, shentsize, shnum) {
            Some(v) => arch = Some(Arch::new("arm", Some(v))),
            None if shoff != 0 && shnum != 0 && r.bytes(shoff, 1).is_none() => {
                notes.push(where_(
                    "the section headers (.ARM.attributes, which tells armv6 from armv7)",
                ));
                // Non-allocated sections such as .ARM.attributes sit just before the
                // section header table at the end of the file: ask for that tail.
                let lo = shoff
                    .saturating_sub(ARM_TAIL_CAPTURE)
                    .max(prefix.len() as u64);
                if sh_end <= file_size && sh_end > lo && sh_end - lo <= 2 * ARM_TAIL_CAPTURE {
                    wanted.push((lo, sh_end - lo));
                }
            }
            None => {}
        }
    }
    // The ISA-level bits mean x86-64 levels only on x86-64 (i386 uses other bits).
    let x86_level_needed = (machine == 62)
        .then(|| property::x86_isa_needed(&r, &phdrs))
        .flatten();
    let libc = libc_of(interpreter.as_deref(), &needed);
    Ok(ElfFacts {
        info: ElfInfo {
            class,
            big_endian,
            machine,
            elf_type,
            is_static,
            interpreter,
            needed,
            soname,
            min_glibc: min_glibc.map(|(_, s)| s),
            claimed_arch: None,
            x86_level_needed,
            notes,
        },
        arch,
        libc,
        go_note,
        wanted,
    })
}

/// The libc an ELF was linked against, from its interpreter and DT_NEEDED.
pub fn libc_of(interpreter: Option<&str>, needed: &[String]) -> Option<Libc> {
    let base = |s: &str| s.rsplit('/').next().unwrap_or(s).to_string();
    let interp = interpreter.map(base);
    if interp.as_deref().is_some_and(|i| i.starts_with("ld-musl-"))
        || needed.iter().any(|n| n.starts_with("libc.musl-"))
    {
        return Some(Libc::Musl);
    }
    if needed.iter().any(|n| n == "libc.so.6")
        || interp.as_deref().is_some_and(|i| {
            i.starts_with("ld-linux") || i.starts_with("ld64.so") || i == "ld.so.1"
        })
    {
        return Some(Libc::Glibc);
    }
    // Bionic's linker, or a bare libc.so (napi-rs musl builds and Android both).
    if needed.iter().any(|n| n == "libc.so")
        || interp.as_deref().is_some_and(|i| i.starts_with("linker"))
    {
        return Some(Libc::Other);
    }
    None
}

/// Walks Elf_Verneed / Elf_Vernaux (each 16 bytes in both classes) for the highest
/// `GLIBC_x.y[.z]`; the iteration cap stops a `vn_next` loop.
fn highest_glibc(
    r: &Rd<'_>,
    start: u64,
    count: u64,
    string: &dyn Fn(u64) -> Option<String>,
    notes: &mut Vec<String>,
    where_: &dyn Fn(&str) -> String,
) -> Option<(Vec<u32>, String)> {
    let mut best: Option<(Vec<u32>, String)> = None;
    let mut turns = 0usize;
    let mut vn = start;
    for _ in 0..count.min(MAX_VERNEED as u64) {
        let (Some(cnt), Some(aux), Some(next)) = (r.u16(vn + 2), r.u32(vn + 8), r.u32(vn + 12))
        else {
            notes.push(where_("the version needs (.gnu.version_r)"));
            break;
        };
        let mut va = vn.saturating_add(u64::from(aux));
        for _ in 0..cnt {
            turns += 1;
            if turns > MAX_VERNEED {
                return best;
            }
            let (Some(name), Some(vnext)) = (r.u32(va + 8), r.u32(va + 12)) else {
                notes.push(where_("the version needs (.gnu.version_r)"));
                return best;
            };
            if let Some(v) = string(u64::from(name))
                .as_deref()
                .and_then(|n| n.strip_prefix("GLIBC_"))
                .and_then(|v| {
                    let parts: Option<Vec<u32>> = v.split('.').map(|p| p.parse().ok()).collect();
                    parts.map(|p| (p, v.to_string()))
                })
                && best.as_ref().is_none_or(|b| v.0 > b.0)
            {
                best = Some(v);
            }
            if vnext == 0 {
                break;
            }
            va = va.saturating_add(u64::from(vnext));
        }
        if next == 0 {
            break;
        }
        vn = vn.saturating_add(u64::from(next));
    }
    best
}

/// Whether a PT_NOTE segment holds a note owned by `Go` (the Go linker's build id note).
fn has_go_note(r: &Rd<'_>, offset: u64, size: u64) -> bool {
    let end = offset.saturating_add(size);
    let mut at = offset;
    for _ in 0..64 {
        if at.saturating_add(12) > end {
            return false;
        }
        let (Some(namesz), Some(descsz)) = (r.u32(at), r.u32(at + 4)) else {
            return false;
        };
        let name = r.bytes(at + 12, namesz as usize);
        // The Go linker writes the owner as "Go\0\0" (namesz 4).
        let trimmed = name.map(|n| {
            let end = n.iter().rposition(|&c| c != 0).map_or(0, |i| i + 1);
            &n[..end]
        });
        if trimmed == Some(b"Go".as_slice()) {
            return true;
        }
        let pad = |n: u32| (u64::from(n) + 3) & !3;
        at = at.saturating_add(12 + pad(namesz) + pad(descsz));
    }
    false
}
