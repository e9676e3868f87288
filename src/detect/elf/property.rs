//! The x86-64 level an ELF says it needs: `GNU_PROPERTY_X86_ISA_1_NEEDED` in its
//! `.note.gnu.property` (the PT_GNU_PROPERTY segment, or a PT_NOTE one on older loaders).

use super::*;

pub(super) const PT_GNU_PROPERTY: u32 = 0x6474_e553;
const NT_GNU_PROPERTY_TYPE_0: u32 = 5;
/// `GNU_PROPERTY_X86_UINT32_OR_LO + 2` (binutils 2.36+, x86-64 psABI "ISA level"): the
/// levels the linker was told the code needs (`-z x86-64-v3`, gcc `-mneeded`).
const GNU_PROPERTY_X86_ISA_1_NEEDED: u32 = 0xc000_8002;
/// Notes and properties walked per segment, so a looping or huge table stays cheap.
const MAX_ENTRIES: usize = 64;

/// The highest x86-64 level (1 = baseline .. 4 = v4) named by an ISA_1_NEEDED property in
/// the note segments of `phdrs`, or `None` when no segment in reach carries one.
pub(super) fn x86_isa_needed(r: &Rd<'_>, phdrs: &[Phdr]) -> Option<u8> {
    // PT_GNU_PROPERTY points at the same bytes as one of the PT_NOTE segments; reading it
    // first saves walking unrelated notes.
    let mut segs: Vec<&Phdr> = phdrs.iter().filter(|p| p.kind == PT_GNU_PROPERTY).collect();
    segs.extend(phdrs.iter().filter(|p| p.kind == PT_NOTE));
    segs.into_iter()
        .take(MAX_ENTRIES)
        .find_map(|p| in_segment(r, p.offset, p.filesz))
}

fn in_segment(r: &Rd<'_>, offset: u64, size: u64) -> Option<u8> {
    let end = offset.saturating_add(size);
    // Property notes are 8-aligned in ELF64 and 4-aligned in ELF32 (gABI, "Note Section").
    let align: u64 = if r.wide { 8 } else { 4 };
    let pad = |n: u64, a: u64| n.checked_add(a - 1).map(|v| v & !(a - 1));
    let mut at = offset;
    for _ in 0..MAX_ENTRIES {
        if at.checked_add(12)? > end {
            return None;
        }
        let (namesz, descsz, kind) = (r.u32(at)?, r.u32(at + 4)?, r.u32(at + 8)?);
        let name_at = at + 12;
        let desc_at = name_at.checked_add(pad(u64::from(namesz), 4)?)?;
        let next = desc_at.checked_add(pad(u64::from(descsz), align)?)?;
        if next > end {
            return None;
        }
        let name = r.bytes(name_at, usize::try_from(namesz).ok()?)?;
        if kind == NT_GNU_PROPERTY_TYPE_0 && name == b"GNU\0" {
            let desc = r.bytes(desc_at, usize::try_from(descsz).ok()?)?;
            if let Some(level) = isa_needed(desc, r.be, align) {
                return Some(level);
            }
        }
        at = next;
    }
    None
}

/// Walks the `pr_type`, `pr_datasz`, `pr_data` entries of one property note.
pub(super) fn isa_needed(desc: &[u8], be: bool, align: u64) -> Option<u8> {
    let u32_at = |o: usize| -> Option<u32> {
        let s: [u8; 4] = desc.get(o..o.checked_add(4)?)?.try_into().ok()?;
        Some(if be {
            u32::from_be_bytes(s)
        } else {
            u32::from_le_bytes(s)
        })
    };
    let align = usize::try_from(align).ok()?;
    let mut at = 0usize;
    for _ in 0..MAX_ENTRIES {
        let (kind, size) = (u32_at(at)?, usize::try_from(u32_at(at + 4)?).ok()?);
        if kind == GNU_PROPERTY_X86_ISA_1_NEEDED && size >= 4 {
            return Some(highest_level(u32_at(at + 8)?));
        }
        let data_end = at.checked_add(8)?.checked_add(size)?;
        at = data_end.checked_add(align - 1)? & !(align - 1);
    }
    None
}

/// Bits 0..3 are baseline, v2, v3, v4 (`GNU_PROPERTY_X86_ISA_1_BASELINE` ..`_V4`).
fn highest_level(bits: u32) -> u8 {
    match bits & 0xf {
        b if b & 8 != 0 => 4,
        b if b & 4 != 0 => 3,
        b if b & 2 != 0 => 2,
        _ => 1,
    }
}
