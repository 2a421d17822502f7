//! Packed lower-triangular storage for the n×n matrices of a balance
//! sequence: the symmetric covariance Σ and its Cholesky factor L.
//!
//! Element (i, j), j ≤ i, 0-based, lives at `i(i+1)/2 + j`: each row is
//! contiguous, so the dot products of a row-oriented Cholesky run over
//! adjacent memory. n(n+1)/2 doubles: 400 MB at n = 10,000, so large
//! sequences use the structured path of [`crate::sequential::StructuredCholesky`]
//! instead.

use serde::Serialize;

/// Position of (i, j), j ≤ i, in packed row-major lower-triangular storage.
#[inline]
pub(crate) fn packed_index(i: usize, j: usize) -> usize {
    debug_assert!(j <= i);
    i * (i + 1) / 2 + j
}

/// A symmetric n×n matrix stored as its packed lower triangle.
#[derive(Clone, Debug, PartialEq)]
pub struct PackedSymmetric {
    dimension: usize,
    packed: Vec<f64>,
}

impl PackedSymmetric {
    /// Wraps packed lower-triangular data of an n×n symmetric matrix;
    /// `None` if `packed.len() != n(n+1)/2`.
    pub fn from_packed(dimension: usize, packed: Vec<f64>) -> Option<Self> {
        (packed.len() == dimension * (dimension + 1) / 2).then_some(Self { dimension, packed })
    }

    /// Builds the matrix from a function of (i, j), j ≤ i.
    pub fn from_fn(dimension: usize, mut element: impl FnMut(usize, usize) -> f64) -> Self {
        let mut packed = Vec::with_capacity(dimension * (dimension + 1) / 2);
        for i in 0..dimension {
            for j in 0..=i {
                packed.push(element(i, j));
            }
        }
        Self { dimension, packed }
    }

    /// n.
    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// Element (i, j) for any order of i and j.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        let (i, j) = if j <= i { (i, j) } else { (j, i) };
        self.packed[packed_index(i, j)]
    }

    /// The packed lower triangle, row by row.
    pub fn packed(&self) -> &[f64] {
        &self.packed
    }

    /// Row i of the lower triangle: elements (i, 0..=i).
    pub fn lower_row(&self, i: usize) -> &[f64] {
        &self.packed[packed_index(i, 0)..=packed_index(i, i)]
    }

    /// The full matrix as rows (n² values; for output of small matrices).
    pub fn to_rows(&self) -> Vec<Vec<f64>> {
        (0..self.dimension)
            .map(|i| (0..self.dimension).map(|j| self.get(i, j)).collect())
            .collect()
    }

    /// 1ᵀ S 1 over the leading i×i block, for i = 1..=n.
    pub fn leading_block_sums(&self) -> Vec<f64> {
        let mut sums = Vec::with_capacity(self.dimension);
        let mut total = 0.0;
        for i in 0..self.dimension {
            let row = self.lower_row(i);
            let off: f64 = row[..i].iter().sum();
            total += 2.0 * off + row[i];
            sums.push(total);
        }
        sums
    }
}

impl Serialize for PackedSymmetric {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_rows().serialize(serializer)
    }
}

/// A lower-triangular n×n matrix (zeros above the diagonal) stored packed.
#[derive(Clone, Debug, PartialEq)]
pub struct PackedLower {
    dimension: usize,
    packed: Vec<f64>,
}

impl PackedLower {
    /// Wraps packed data; `None` if `packed.len() != n(n+1)/2`.
    pub fn from_packed(dimension: usize, packed: Vec<f64>) -> Option<Self> {
        (packed.len() == dimension * (dimension + 1) / 2).then_some(Self { dimension, packed })
    }

    /// n.
    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// Element (i, j): zero above the diagonal.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        if j > i {
            0.0
        } else {
            self.packed[packed_index(i, j)]
        }
    }

    /// The packed lower triangle, row by row.
    pub fn packed(&self) -> &[f64] {
        &self.packed
    }

    /// Row i: elements (i, 0..=i).
    pub fn row(&self, i: usize) -> &[f64] {
        &self.packed[packed_index(i, 0)..=packed_index(i, i)]
    }

    /// The full matrix as rows, zeros above the diagonal.
    pub fn to_rows(&self) -> Vec<Vec<f64>> {
        (0..self.dimension)
            .map(|i| (0..self.dimension).map(|j| self.get(i, j)).collect())
            .collect()
    }

    /// Solves L x = b by forward substitution (L never inverted).
    ///
    /// # Panics
    /// If `b.len()` differs from the dimension (a caller bug).
    pub fn forward_substitute(&self, b: &[f64]) -> Vec<f64> {
        assert_eq!(b.len(), self.dimension, "right-hand side length");
        let mut x = Vec::with_capacity(self.dimension);
        for (i, &bi) in b.iter().enumerate() {
            let row = self.row(i);
            let dot: f64 = row[..i].iter().zip(&x).map(|(l, xv)| l * xv).sum();
            x.push((bi - dot) / row[i]);
        }
        x
    }
}

impl Serialize for PackedLower {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_rows().serialize(serializer)
    }
}
