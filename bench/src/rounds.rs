//! Order-proof comparisons: the variants take turns round after round, each round in a rotated
//! order, so drift over a run (autovacuum, a noisy neighbour, caches) falls on every variant
//! alike; a figure is the median of its rounds with their range, and a ratio is the median of
//! the per-round ratios, so one slow round moves it only as far as its own round.

/// The median and range of a figure's rounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    pub fn of(xs: &[f64]) -> Spread {
        assert!(!xs.is_empty(), "a spread of no rounds");
        let (min, max) = xs.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        Spread { median: median(xs.to_vec()), min, max }
    }

    /// The spread of `a[i] / b[i]`, each round's figures against each other.
    pub fn of_ratios(a: &[f64], b: &[f64]) -> Spread {
        assert_eq!(a.len(), b.len(), "ratios of rounds that do not pair up");
        Spread::of(&a.iter().zip(b).map(|(x, y)| x / y).collect::<Vec<_>>())
    }

    /// `median (min–max)` with `decimals` decimals.
    pub fn show(&self, decimals: usize) -> String {
        format!("{:.d$} ({:.d$}–{:.d$})", self.median, self.min, self.max, d = decimals)
    }
}

/// The median; of an even count, the mean of the middle two.
pub fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let mid = xs.len() / 2;
    if xs.len().is_multiple_of(2) {
        (xs[mid - 1] + xs[mid]) / 2.0
    } else {
        xs[mid]
    }
}

/// The order of `n` variants in round `round`: 0, 1, … n-1 rotated left by `round`, so over
/// `n` rounds each variant runs once in every position.
pub fn rotation(n: usize, round: usize) -> Vec<usize> {
    (0..n).map(|i| (i + round) % n).collect()
}

/// Runs `measure(variant)` for `rounds` rounds over `n` variants, in rotated order; the figures
/// by variant, in round order.
pub fn interleaved<T: Clone>(n: usize, rounds: usize, mut measure: impl FnMut(usize) -> T) -> Vec<Vec<T>> {
    let mut figures = vec![Vec::with_capacity(rounds); n];
    for round in 0..rounds {
        for v in rotation(n, round) {
            figures[v].push(measure(v));
        }
    }
    figures
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(vec![7.0]), 7.0);
    }

    #[test]
    fn every_variant_takes_every_position_once_in_n_rounds() {
        let orders: Vec<Vec<usize>> = (0..3).map(|r| rotation(3, r)).collect();
        assert_eq!(orders, vec![vec![0, 1, 2], vec![1, 2, 0], vec![2, 0, 1]]);
        for position in 0..3 {
            let mut seen: Vec<usize> = orders.iter().map(|o| o[position]).collect();
            seen.sort();
            assert_eq!(seen, vec![0, 1, 2]);
        }
    }

    #[test]
    fn interleaving_runs_rotated_rounds_and_files_figures_by_variant() {
        let mut calls = Vec::new();
        let figures = interleaved(2, 3, |v| {
            calls.push(v);
            calls.len() as f64
        });
        assert_eq!(calls, vec![0, 1, 1, 0, 0, 1]);
        assert_eq!(figures, vec![vec![1.0, 4.0, 5.0], vec![2.0, 3.0, 6.0]]);
    }

    #[test]
    fn ratios_pair_rounds_up() {
        // One slow round for both variants: the per-round ratio is unmoved by it.
        let native = [100.0, 50.0, 100.0];
        let floor = [100.0, 50.0, 100.0];
        assert_eq!(Spread::of_ratios(&native, &floor), Spread { median: 1.0, min: 1.0, max: 1.0 });
        assert_eq!(Spread::of(&[2.0, 1.0, 3.0]).show(1), "2.0 (1.0–3.0)");
    }
}
