//! The groups that give a failure its host, and how fail2ban folds `alt_` groups into the group
//! they stand in for.

/// The groups whose value is a failure's host, in fail2ban's order of preference.
pub(super) const HOST_GROUPS: [&str; 4] = ["ip4", "ip6", "dns", "fid"];

/// The group an `alt_` group stands in for (`alt_user1` -> `user`), as fail2ban folds them.
pub(super) fn alternate_of(name: &str) -> Option<&str> {
    let base = name.strip_prefix("alt_")?;
    Some(
        base.trim_end_matches(|c: char| c.is_ascii_digit())
            .trim_end_matches('_'),
    )
}

/// Whether a group of this name may give a failure its host once `alt_` groups are folded:
/// a host group, or an `alt_` group standing in for one (`alt_user` never does).
pub(super) fn may_give_host(name: &str) -> bool {
    HOST_GROUPS.contains(&alternate_of(name).unwrap_or(name))
}
