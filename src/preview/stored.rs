//! A cached thumbnail as stored: one status byte and the PNG. Thumbnails
//! are written without fsync (decision 0071): after a crash a file may be
//! empty, cut short or hold stale blocks, so one is served only when its
//! PNG is whole — every chunk's CRC right and `IEND` its last byte.
//! Anything else counts as not cached and is drawn again.
use super::{Preview, Status};

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

pub fn encode(preview: &Preview) -> Vec<u8> {
    let mut stored = Vec::with_capacity(1 + preview.png.len());
    stored.push(preview.status.as_byte());
    stored.extend_from_slice(&preview.png);
    stored
}

/// The thumbnail, if `stored` is a whole one.
pub fn decode(stored: &[u8]) -> Option<Preview> {
    let (first, png) = stored.split_first()?;
    let status = Status::from_byte(*first)?;
    is_whole_png(png).then(|| Preview {
        status,
        png: png.to_vec(),
    })
}

/// Whether `png` is a signature and chunks each with a right CRC, ending
/// exactly after `IEND`. Every byte but the lengths is under a CRC, and a
/// wrong length breaks the walk.
fn is_whole_png(png: &[u8]) -> bool {
    let Some(mut rest) = png.strip_prefix(&SIGNATURE) else {
        return false;
    };
    loop {
        let Some(length) = rest.get(..4) else {
            return false;
        };
        let length = u32::from_be_bytes([length[0], length[1], length[2], length[3]]) as usize;
        let end = 8 + length;
        let (Some(chunk), Some(crc)) = (rest.get(4..end), rest.get(end..end + 4)) else {
            return false;
        };
        if crc32fast::hash(chunk).to_be_bytes() != crc {
            return false;
        }
        rest = &rest[end + 4..];
        if chunk.starts_with(b"IEND") {
            return rest.is_empty();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preview::{Size, placeholder_for};
    use stockage_events::FileKind;

    #[test]
    fn only_a_whole_thumbnail_is_read_back() {
        let why = crate::preview::PreviewError::Malformed("test".into());
        let preview = placeholder_for(FileKind::Stl, Size::DEFAULT, &why);
        let stored = encode(&preview);
        assert_eq!(decode(&stored), Some(preview));
        // Cut anywhere, emptied, a byte flipped, or zeros where blocks
        // were never written: not a thumbnail.
        for cut in [0, 1, 9, stored.len() / 2, stored.len() - 1] {
            assert_eq!(decode(&stored[..cut]), None, "cut at {cut}");
        }
        for at in [1, 12, stored.len() / 2, stored.len() - 2] {
            let mut flipped = stored.clone();
            flipped[at] ^= 0x20;
            assert_eq!(decode(&flipped), None, "flipped at {at}");
        }
        let mut zeroed = stored.clone();
        let middle = stored.len() / 2;
        zeroed[middle..middle + 8].fill(0);
        assert_eq!(decode(&zeroed), None);
        assert_eq!(decode(&vec![0; stored.len()]), None);
        let mut longer = stored.clone();
        longer.push(0);
        assert_eq!(decode(&longer), None);
        let mut unknown = stored;
        unknown[0] = b'x';
        assert_eq!(decode(&unknown), None);
    }
}
