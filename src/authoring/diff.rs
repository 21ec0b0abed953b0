//! A word-level diff of two texts, for the editor and the review queue: what changed in
//! the base since an adaptation was made, what an edit changes, an adaptation against
//! its base. Words and the whitespace between them are the units, so a reviewer sees
//! "Article 205 → 205-1", not a whole paragraph replaced.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Same,
    Removed,
    Added,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Piece {
    pub change: Change,
    pub text: String,
}

/// Beyond this many words on either side the longest-common-subsequence table would
/// cost too much for a page; the diff then shows the old text removed and the new added.
const MAX_TOKENS: usize = 3_000;

/// Words and runs of whitespace, in order.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_space: Option<bool> = None;
    for (index, c) in text.char_indices() {
        let space = c.is_whitespace();
        if in_space.is_some_and(|s| s != space) {
            out.push(text.get(start..index).unwrap_or_default());
            start = index;
        }
        in_space = Some(space);
    }
    if start < text.len() {
        out.push(text.get(start..).unwrap_or_default());
    }
    out
}

fn push(pieces: &mut Vec<Piece>, change: Change, text: &str) {
    match pieces.last_mut() {
        Some(last) if last.change == change => last.text.push_str(text),
        _ => pieces.push(Piece {
            change,
            text: text.to_owned(),
        }),
    }
}

/// The pieces that turn `old` into `new`: unchanged, removed and added runs of words.
pub fn words(old: &str, new: &str) -> Vec<Piece> {
    let a = tokens(old);
    let b = tokens(new);
    let mut pieces = Vec::new();
    if a.len() > MAX_TOKENS || b.len() > MAX_TOKENS {
        if old == new {
            push(&mut pieces, Change::Same, old);
        } else {
            push(&mut pieces, Change::Removed, old);
            push(&mut pieces, Change::Added, new);
        }
        return pieces;
    }
    // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
    let width = b.len() + 1;
    let mut lcs = vec![0u32; (a.len() + 1) * width];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            let value = if a.get(i) == b.get(j) {
                lcs.get((i + 1) * width + j + 1).copied().unwrap_or(0) + 1
            } else {
                let down = lcs.get((i + 1) * width + j).copied().unwrap_or(0);
                let right = lcs.get(i * width + j + 1).copied().unwrap_or(0);
                down.max(right)
            };
            if let Some(cell) = lcs.get_mut(i * width + j) {
                *cell = value;
            }
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (Some(x), Some(y)) = (a.get(i), b.get(j)) else {
            break;
        };
        if x == y {
            push(&mut pieces, Change::Same, x);
            i += 1;
            j += 1;
        } else if lcs.get((i + 1) * width + j).copied().unwrap_or(0) >= lcs.get(i * width + j + 1).copied().unwrap_or(0)
        {
            push(&mut pieces, Change::Removed, x);
            i += 1;
        } else {
            push(&mut pieces, Change::Added, y);
            j += 1;
        }
    }
    for x in a.get(i..).unwrap_or_default() {
        push(&mut pieces, Change::Removed, x);
    }
    for y in b.get(j..).unwrap_or_default() {
        push(&mut pieces, Change::Added, y);
    }
    pieces
}

/// How many characters of unchanged text a compacted diff keeps on each side of a
/// change; longer unchanged runs are cut to their ends around an ellipsis.
const CONTEXT_CHARS: usize = 160;

/// The diff with long unchanged runs shortened, so a reviewer sees the changes with
/// enough text around them, not a whole section in which one word changed.
pub fn compacted(pieces: Vec<Piece>) -> Vec<Piece> {
    let last = pieces.len().saturating_sub(1);
    pieces
        .into_iter()
        .enumerate()
        .map(|(index, piece)| {
            let chars: Vec<char> = piece.text.chars().collect();
            if piece.change != Change::Same || chars.len() <= CONTEXT_CHARS * 2 + 20 {
                return piece;
            }
            let head: String = if index == 0 {
                String::new()
            } else {
                chars.iter().take(CONTEXT_CHARS).collect()
            };
            let tail: String = if index == last {
                String::new()
            } else {
                chars.iter().skip(chars.len() - CONTEXT_CHARS).collect()
            };
            Piece {
                change: Change::Same,
                text: format!("{head} … {tail}"),
            }
        })
        .collect()
}

/// Whether the diff changes anything.
pub fn changes(pieces: &[Piece]) -> bool {
    pieces.iter().any(|p| p.change != Change::Same)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(pieces: &[Piece]) -> String {
        pieces
            .iter()
            .map(|p| match p.change {
                Change::Same => p.text.clone(),
                Change::Removed => format!("[-{}-]", p.text),
                Change::Added => format!("{{+{}+}}", p.text),
            })
            .collect()
    }

    #[test]
    fn a_changed_word_is_shown_removed_and_added_in_place() {
        let pieces = words("under Article 205 of the Code", "under Article 205-1 of the Code");
        assert_eq!(show(&pieces), "under Article [-205-]{+205-1+} of the Code");
    }

    #[test]
    fn a_compacted_diff_keeps_the_changes_with_their_context_and_cuts_long_unchanged_runs() {
        let long = "word ".repeat(200);
        let old = format!("Start {long}middle old {long}end");
        let new = format!("Start {long}middle new {long}end");
        let shown = show(&compacted(words(&old, &new)));
        assert!(shown.contains("[-old-]{+new+}"), "{shown}");
        assert!(
            shown.starts_with(" … "),
            "the opening run is cut before the change: {shown}"
        );
        assert!(shown.ends_with(" … "), "the closing run after it: {shown}");
        assert!(shown.chars().count() < 500, "{shown}");
        let short = show(&compacted(words("a b c", "a x c")));
        assert_eq!(short, "a [-b-]{+x+} c", "short runs stay whole");
    }

    #[test]
    fn identical_texts_have_no_changes_and_empty_sides_are_all_added_or_removed() {
        assert!(!changes(&words("Бір екі үш", "Бір екі үш")));
        assert_eq!(show(&words("", "жаңа мәтін")), "{+жаңа мәтін+}");
        assert_eq!(show(&words("eski matn", "")), "[-eski matn-]");
    }
}
