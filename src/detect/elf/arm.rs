//! 32-bit ARM: the architecture version (v5..v8) from the `.ARM.attributes` section, which
//! the ELF header alone does not say.

use super::*;

/// ARM `Tag_CPU_arch` from `.ARM.attributes` (ARM IHI 0045, "Addenda to the ARM ELF
/// ABI": section format-version 'A', vendor subsection "aeabi", file-scope tag 1), mapped
/// to an OCI variant.
pub(super) fn arm_cpu_arch(
    r: &Rd<'_>,
    shoff: u64,
    shentsize: u16,
    shnum: u16,
) -> Option<&'static str> {
    if shoff == 0 || usize::from(shentsize) < 40 {
        return None;
    }
    for i in 0..usize::from(shnum).min(MAX_SHNUM) {
        let sh = shoff.checked_add(i as u64 * u64::from(shentsize))?;
        if r.u32(sh + 4)? != SHT_ARM_ATTRIBUTES {
            continue;
        }
        let (off, size) = (u64::from(r.u32(sh + 16)?), u64::from(r.u32(sh + 20)?));
        let sec = r.bytes(off, usize::try_from(size).ok()?)?;
        return tag_cpu_arch(sec, r.be).map(|a| match a {
            0..=5 => "v5",
            6..=9 | 11 | 12 => "v6",
            10 | 13 => "v7",
            _ => "v8",
        });
    }
    None
}

fn tag_cpu_arch(sec: &[u8], be: bool) -> Option<u64> {
    let u32_at = |o: usize| -> Option<u32> {
        let s: [u8; 4] = sec.get(o..o + 4)?.try_into().ok()?;
        Some(if be {
            u32::from_be_bytes(s)
        } else {
            u32::from_le_bytes(s)
        })
    };
    if sec.first() != Some(&b'A') {
        return None;
    }
    let mut at = 1usize;
    while at < sec.len() {
        let len = u32_at(at)? as usize;
        let sub = sec.get(at..at.checked_add(len)?)?;
        let name_end = 4 + sub.get(4..)?.iter().position(|&c| c == 0)?;
        if &sub[4..name_end] == b"aeabi" {
            let mut p = name_end + 1;
            while p < sub.len() {
                let tag = *sub.get(p)?;
                let size = u32_at(at + p + 1)? as usize;
                if tag == 1 {
                    return attrs_cpu_arch(sub.get(p + 5..p.checked_add(size)?)?);
                }
                p = p.checked_add(size.max(1))?;
            }
        }
        at = at.checked_add(len.max(1))?;
    }
    None
}

/// Reads attribute (tag, value) pairs until Tag_CPU_arch (6). Tags 4, 5 and odd tags
/// above 32 are NUL-terminated strings, tag 32 is a number and a string, others ULEB128.
fn attrs_cpu_arch(mut b: &[u8]) -> Option<u64> {
    fn uleb(b: &mut &[u8]) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let (&c, rest) = b.split_first()?;
            *b = rest;
            v |= u64::from(c & 0x7f) << shift;
            if c & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    fn ntbs(b: &mut &[u8]) -> Option<()> {
        let end = b.iter().position(|&c| c == 0)?;
        *b = &b[end + 1..];
        Some(())
    }
    for _ in 0..256 {
        if b.is_empty() {
            return None;
        }
        let tag = uleb(&mut b)?;
        match tag {
            6 => return uleb(&mut b),
            4 | 5 => ntbs(&mut b)?,
            32 => {
                uleb(&mut b)?;
                ntbs(&mut b)?;
            }
            t if t > 32 && t % 2 == 1 => ntbs(&mut b)?,
            _ => {
                uleb(&mut b)?;
            }
        }
    }
    None
}
