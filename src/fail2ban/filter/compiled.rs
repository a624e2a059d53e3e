//! A fail2ban filter compiled once from its resolved options: its regexes, the literals that
//! screen lines before any regex runs, and its date detector. It holds no state of any log, so
//! one compiled filter serves every thread and every log that matches with it (each with its
//! own [`FilterState`](super::FilterState)).

use super::multiline::TailScreen;
use crate::fail2ban::config::FilterConf;
use crate::fail2ban::config::{ConfigError, Section};
use crate::fail2ban::date::{DateDetector, DateError, Zone};
use crate::fail2ban::pattern::prefilter::Prefilter;
use crate::fail2ban::pattern::{Pattern, host_tags};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A filter could not be read or compiled.
#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    /// Reading the filter's files failed.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A regex did not compile.
    #[error("{}: {key} line {index}: {message}\n  regex: {regex}", path.display())]
    Regex {
        /// The filter file.
        path: PathBuf,
        /// `failregex`, `ignoreregex` or `prefregex`.
        key: &'static str,
        /// 1-based position in that list.
        index: usize,
        /// The regex as fail2ban would compile it.
        regex: String,
        /// The compiler's message.
        message: String,
    },
    /// The date settings are not usable.
    #[error("{}: datepattern: {error}", path.display())]
    Date {
        /// The filter file.
        path: PathBuf,
        /// What is wrong.
        error: DateError,
    },
    /// The filter has no failregex.
    #[error("{}: no failregex", path.display())]
    Empty {
        /// The filter file.
        path: PathBuf,
    },
}

/// A compiled filter: everything about a filter that no log line changes.
#[derive(Debug, Clone)]
pub struct CompiledFilter {
    pub(super) prefregex: Option<Pattern>,
    pub(super) failregex: Vec<Pattern>,
    pub(super) ignoreregex: Vec<Pattern>,
    pub(super) dates: DateDetector,
    journalmatch: Vec<String>,
    pub(super) maxlines: usize,
    /// Literals one of which a line must hold for any failregex to match.
    pub(super) prefilter: Option<Prefilter>,
    /// For each failregex, literals one of which the text must hold for it to match, where
    /// that is the cheaper way to reject it (see [`Screens`](crate::fail2ban::pattern::prefilter::Screens)).
    pub(super) failregex_screens: Vec<Option<Prefilter>>,
    /// For each failregex, literals every match holds somewhere (see
    /// [`Screens`](crate::fail2ban::pattern::prefilter::Screens)): all must be in the text.
    pub(super) failregex_literals: Vec<Vec<memchr::memmem::Finder<'static>>>,
    /// The prefregex without its trailing `<F-CONTENT>.+</F-CONTENT>$`, when it has that shape.
    pub(super) content_prefix: Option<Pattern>,
    /// Whether that prefix has named groups of its own (read only then).
    pub(super) content_prefix_groups: bool,
    /// Failures are only counted (see [`CompiledFilter::counting`]).
    pub(super) counting: bool,
    /// For a multi-line filter without prefregex: which new lines may complete a match.
    pub(super) tail_screen: Option<TailScreen>,
}

/// The end of most prefregexes: the content is the rest of the line.
const CONTENT_TO_END: &str = "<F-CONTENT>.+</F-CONTENT>$";

impl CompiledFilter {
    /// Reads and compiles filter `spec` from `filter_dir` for a jail with options `jail_vars`.
    pub fn load(
        spec: &str,
        filter_dir: &Path,
        jail_vars: &Section,
        zone: Zone,
    ) -> Result<Self, FilterError> {
        Self::compile(&FilterConf::load(spec, filter_dir, jail_vars)?, zone)
    }

    /// Compiles resolved filter options.
    pub fn compile(conf: &FilterConf, zone: Zone) -> Result<Self, FilterError> {
        let path = conf.path.clone();
        let compile_list =
            |key: &'static str, list: &[String]| -> Result<Vec<Pattern>, FilterError> {
                list.iter()
                    .enumerate()
                    .map(|(i, source)| compile_one(&path, key, i + 1, source))
                    .collect()
            };
        // With `maxlines` > 1 failregexes see several lines: `^` and `$` work per line.
        let multiline: Vec<String> = conf
            .failregex
            .iter()
            .map(|source| {
                if conf.maxlines > 1 {
                    format!("(?m){source}")
                } else {
                    source.clone()
                }
            })
            .collect();
        let failregex = compile_list("failregex", &multiline)?;
        let prefregex = conf
            .prefregex
            .as_deref()
            .map(|source| compile_one(&path, "prefregex", 1, source))
            .transpose()?;
        let content_prefix = conf
            .prefregex
            .as_deref()
            .and_then(|source| source.trim_end().strip_suffix(CONTENT_TO_END))
            .filter(|prefix| prefix.starts_with('^'))
            .and_then(|prefix| compile_one(&path, "prefregex", 1, prefix).ok());
        let content_prefix_groups = content_prefix
            .as_ref()
            .is_some_and(|p| p.group_names().iter().flatten().next().is_some());
        // As fail2ban: a failregex must capture a failure id (here or in the prefregex).
        let has_id = |pattern: &Pattern| {
            pattern
                .group_names()
                .iter()
                .flatten()
                .any(|name| ["fid", "ip4", "ip6", "dns", "mlfid"].contains(&name.as_str()))
        };
        if !prefregex.as_ref().is_some_and(has_id)
            && let Some(index) = failregex.iter().position(|p| !has_id(p))
        {
            return Err(FilterError::Regex {
                path,
                key: "failregex",
                index: index + 1,
                regex: conf.failregex[index].clone(),
                message: "no failure-id group: it needs <HOST> (or <ADDR>, <F-ID>, ...); \
                          an unknown tag such as a misspelt <HOST> stays literal text"
                    .to_string(),
            });
        }
        let translated: Vec<String> = multiline
            .iter()
            .map(|source| host_tags::python_to_rust(&host_tags::expand(source)))
            .collect();
        let screens = Prefilter::screens(&translated);
        // A buffer without the prefilter's literals is passed over by one literal scan, which
        // costs less than the screen's automaton on each byte (guacamole's `WARNING: ...`):
        // the screen is for the filters without them (slapd, mongodb-auth).
        let tail_screen = (conf.maxlines > 1 && conf.prefregex.is_none() && screens.line.is_none())
            .then(|| TailScreen::new(&translated))
            .flatten();
        if failregex.is_empty() {
            return Err(FilterError::Empty { path });
        }
        let dates = DateDetector::new(conf.datepattern.as_deref(), zone).map_err(|error| {
            FilterError::Date {
                path: path.clone(),
                error,
            }
        })?;
        Ok(CompiledFilter {
            ignoreregex: compile_list("ignoreregex", &conf.ignoreregex)?,
            prefregex,
            failregex,
            dates,
            journalmatch: conf.journalmatch.clone(),
            maxlines: conf.maxlines.max(1),
            prefilter: screens.line,
            failregex_screens: screens.each,
            failregex_literals: screens
                .inner
                .iter()
                .map(|literals| {
                    literals
                        .iter()
                        .map(|literal| memchr::memmem::Finder::new(literal).into_owned())
                        .collect()
                })
                .collect(),
            content_prefix,
            content_prefix_groups,
            counting: false,
            tail_screen,
        })
    }

    /// This filter for counting failures (`bantop regex` without `--json`): the same failures
    /// with the same failregex and time, but neither host nor captures copied out of the line,
    /// where the failregex's groups alone decide whether there is a host (one line at a time,
    /// no multi-line id, no `alt_` group that stands in for a host group).
    pub fn counting(mut self) -> Self {
        let plain = |pattern: &Pattern| {
            pattern.group_names().iter().flatten().all(|name| {
                name != "mlfid"
                    && name != "nofail"
                    && !(name.starts_with("alt_") && super::host_groups::may_give_host(name))
            })
        };
        self.counting = self.maxlines == 1 && self.failregex.iter().all(plain);
        self
    }

    /// The names of the date templates (fail2ban's date formats), in the order they are tried.
    pub fn date_templates(&self) -> Vec<String> {
        self.dates.template_names()
    }

    /// The time of a log line by this filter's date settings, with `now` for year inference.
    pub fn line_time(&self, line: &str, now: f64) -> Option<f64> {
        self.dates
            .find(line.trim_end_matches(['\n', '\r']), now)
            .map(|date| date.time)
    }

    /// Whether what a line holds can be found apart from the lines before it
    /// ([`CompiledFilter::find_line`]): a single-line filter. A line then depends on earlier
    /// ones only through the time of the last dated one and, with `<F-MLFID>`, through the
    /// entry of its multi-line id, which [`CompiledFilter::settle`] merges in line order. Such a
    /// log may be cut into parts matched apart.
    pub(crate) fn finds_lines_apart(&self) -> bool {
        self.maxlines == 1
    }

    /// The `journalmatch` lines, for a systemd backend.
    pub fn journalmatch(&self) -> &[String] {
        &self.journalmatch
    }

    /// Whether [`CompiledFilter::next_literal`] may screen the lines of a block for
    /// [`CompiledFilter::find_screened_line`]: lines are matched one by one, and the
    /// prefilter's literals hold no newline.
    pub(crate) fn screens_blocks(&self) -> bool {
        self.maxlines == 1 && self.prefilter.as_ref().is_some_and(Prefilter::within_lines)
    }

    /// Where the first of the prefilter's literals stands in `lines` from `from` (one scan over
    /// many lines costs far less than one per line).
    pub(super) fn next_literal(&self, lines: &[u8], from: usize) -> Option<Range<usize>> {
        self.prefilter.as_ref()?.find_at(lines, from)
    }
}

fn compile_one(
    path: &Path,
    key: &'static str,
    index: usize,
    source: &str,
) -> Result<Pattern, FilterError> {
    let regex = host_tags::python_to_rust(&host_tags::expand(source));
    // The message is a string here: a missing failure id is reported the same way.
    Pattern::compile(&regex).map_err(|error| FilterError::Regex {
        path: path.to_path_buf(),
        key,
        index,
        regex,
        message: error.to_string(),
    })
}
