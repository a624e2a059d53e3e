//! An address or network the operator whitelisted in a jail.

/// One whitelisted address or network and why it is there.
#[derive(Debug, Clone, PartialEq)]
pub struct WhitelistEntry {
    /// The jail.
    pub jail: String,
    /// Address or network, already validated.
    pub entry: String,
    /// Who, when and why, on one line.
    pub comment: String,
}
