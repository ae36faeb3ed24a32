//! A release's version, ordered by its numbers and not by its text: 0.10.0 comes after 0.9.0.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Release(Vec<u32>);

impl Release {
    /// Panics on anything but dot-separated numbers: a test names its releases itself.
    pub fn new(version: &str) -> Self {
        Release(version.split('.').map(|p| p.parse().unwrap_or_else(|_| panic!("{version:?} is no release"))).collect())
    }
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(u32::to_string).collect();
        f.write_str(&parts.join("."))
    }
}

#[cfg(test)]
mod tests {
    use super::Release;

    #[test]
    fn releases_order_by_number() {
        assert!(Release::new("0.9.0") < Release::new("0.10.0"));
        assert!(Release::new("0.10.0") < Release::new("0.10.1"));
        assert!(Release::new("1.0.0") > Release::new("0.99.9"));
        assert_eq!(Release::new("0.10.0").to_string(), "0.10.0");
    }
}
