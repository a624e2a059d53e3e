//! fail2ban's `DefinitionInitConfigReader`: a filter or action file (`filter.d/NAME`,
//! `action.d/NAME`: `.conf`, `.d/*.conf`, `.local`, `.d/*.local`, each with its includes) read
//! with a jail's options as variables, its `[Init]` options, the options given in the jail's
//! `name[key=value]`, and `<tag>` substitution over all of them (`getCombined`).

use super::merged::{Config, ConfigError, Lookup, Origin, Section, conditional};
use super::tags;
use indexmap::IndexMap;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The files fail2ban reads for `name` under `dir` (e.g. `filter.d/sshd`), in its order; empty
/// when none exists.
pub(crate) fn config_files(dir: &Path, name: &str) -> Vec<PathBuf> {
    let base = dir.join(name);
    let sorted = |extension: &str| -> Vec<PathBuf> {
        let mut dropins = PathBuf::from(format!("{}.d", base.display()));
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dropins)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| {
                        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or(".");
                        // glob's `*` does not match a leading dot.
                        !name.starts_with('.') && name.ends_with(extension)
                    })
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        dropins.clear();
        files
    };
    let mut files = vec![PathBuf::from(format!("{}.conf", base.display()))];
    files.extend(sorted(".conf"));
    files.push(PathBuf::from(format!("{}.local", base.display())));
    files.extend(sorted(".local"));
    files.into_iter().filter(|f| f.exists()).collect()
}

/// A filter or action read for one jail.
#[derive(Debug)]
pub(crate) struct DefinitionReader {
    /// The merged files.
    pub(crate) config: Arc<Config>,
    /// Options from `name[...]`, `[Init]` and the reader (fail2ban's `_initOpts`).
    pub(crate) init: IndexMap<String, (String, Origin)>,
    /// The variables of the last `read_options` (fail2ban's `_pOpts`).
    vars: Section,
    /// `[Definition]` options read (fail2ban's `_opts`).
    opts: IndexMap<String, (String, Origin)>,
    /// Values found by the tag fallback, kept as fail2ban's `_defCache` keeps them.
    fallback_cache: HashMap<String, Option<String>>,
}

impl DefinitionReader {
    /// A filter reader over `config` with the options written after the filter's name
    /// (`options`, from `written`), and fail2ban's `applyAutoOptions`: `logtype` (`file`, or
    /// `journal` for a systemd backend) unless the options or the filter's `[Definition]` set it.
    pub(crate) fn for_filter(
        config: Arc<Config>,
        options: super::merged::Section,
        written: &Origin,
        logtype: &str,
    ) -> Self {
        let mut init: IndexMap<String, (String, Origin)> = options
            .into_iter()
            .map(|(k, v)| (k, (v, written.clone())))
            .collect();
        if init.get("logtype").is_none_or(|(v, _)| v.is_empty())
            && !config.has_own_key("Definition", "logtype")
        {
            init.insert(
                "logtype".to_string(),
                (logtype.to_string(), written.clone()),
            );
        }
        DefinitionReader::new(config, init)
    }

    /// A reader over `config` with the options written after the name in the jail.
    pub(crate) fn new(config: Arc<Config>, init: IndexMap<String, (String, Origin)>) -> Self {
        DefinitionReader {
            config,
            init,
            vars: Section::new(),
            opts: IndexMap::new(),
            fallback_cache: HashMap::new(),
        }
    }

    fn origin_of(&self, section: &str, key: &str) -> Origin {
        self.config
            .origin(section, key)
            .map(|(origin, _)| origin)
            .unwrap_or_else(|| Origin {
                file: Arc::from(Path::new("")),
                line: 0,
            })
    }

    /// fail2ban's `getOptions`: the `[Definition]` options of `wanted` (those not among the
    /// variables), read with the jail's options `jail_vars` and the init options as
    /// variables; the `[Init]` options into the init options; with `all`, every other
    /// `[Definition]` option (and `[DEFAULT]`'s) too.
    pub(crate) fn read_options(
        &mut self,
        jail_vars: &Section,
        present: &HashSet<String>,
        wanted: &[&str],
        all: bool,
    ) -> Result<(), ConfigError> {
        let mut vars = jail_vars.clone();
        let mut present = present.clone();
        for (key, (value, _)) in &self.init {
            vars.insert(key.clone(), value.clone());
            present.insert(key.clone());
        }
        let mut opts = IndexMap::new();
        for option in wanted {
            if present.contains(*option) {
                continue;
            }
            if let Lookup::Found(value) = self.config.lookup("Definition", option, &vars)? {
                opts.insert(
                    option.to_string(),
                    (value, self.origin_of("Definition", option)),
                );
            }
        }
        self.opts = opts;
        self.vars = vars;
        if self.config.has_section("Init") {
            let keys: Vec<String> = self
                .config
                .keys("Init")
                .iter()
                .map(|k| k.to_string())
                .collect();
            for key in keys {
                let origin = self.origin_of("Init", &key);
                let mut value = None;
                if !key.starts_with("known/") {
                    let found = self
                        .config
                        .get("Init", &key, &Section::new())?
                        .unwrap_or_default();
                    self.init
                        .insert(format!("known/{key}"), (found.clone(), origin.clone()));
                    value = Some(found);
                }
                if !self.init.contains_key(&key) {
                    let found = match value {
                        Some(found) => found,
                        None => self
                            .config
                            .get("Init", &key, &Section::new())?
                            .unwrap_or_default(),
                    };
                    self.init.insert(key, (found, origin));
                }
            }
        }
        if all && self.config.has_section("Definition") {
            let keys: Vec<String> = self
                .config
                .keys_with_defaults("Definition")
                .iter()
                .map(|k| k.to_string())
                .collect();
            for key in keys {
                if self.opts.contains_key(&key) {
                    continue;
                }
                if let Some(value) = self.config.get("Definition", &key, &Section::new())? {
                    let origin = self.origin_of("Definition", &key);
                    self.opts.insert(key, (value, origin));
                }
            }
        }
        Ok(())
    }

    /// fail2ban's `getCombined`: the options read and the init options (which win), with
    /// every `<tag>` replaced that an option or a `[Definition]` value defines; tags in
    /// `ignore` stay. Each value keeps where it was written.
    pub(crate) fn combined(
        &mut self,
        ignore: &[&str],
    ) -> Result<IndexMap<String, (String, Origin)>, ConfigError> {
        let mut combined = self.opts.clone();
        for (key, value) in &self.init {
            combined.insert(key.clone(), value.clone());
        }
        if combined.is_empty() {
            return Ok(combined);
        }
        let mut ignored: HashSet<String> = ignore.iter().map(|s| s.to_string()).collect();
        for key in combined.keys() {
            if let Some((base, _)) = conditional(key) {
                ignored.insert(base.to_string());
            }
        }
        let texts: IndexMap<String, String> = combined
            .iter()
            .map(|(k, (v, _))| (k.clone(), v.clone()))
            .collect();
        let config = self.config.clone();
        let vars = self.vars.clone();
        let cache = &mut self.fallback_cache;
        let mut failure = None;
        let mut fallback = |tag: &str| -> Option<String> {
            if let Some(known) = cache.get(tag) {
                return known.clone();
            }
            let found = match config.get_ex("Definition", tag, &vars) {
                Ok(lookup) => lookup.found(),
                Err(error) => {
                    failure.get_or_insert(error);
                    None
                }
            };
            cache.insert(tag.to_string(), found.clone());
            found
        };
        let substituted = tags::substitute_recursive(&texts, &ignored, &mut fallback);
        if let Some(error) = failure {
            return Err(error);
        }
        let substituted = substituted.map_err(|message| ConfigError::Interpolation {
            section: "Definition".to_string(),
            key: "<tags>".to_string(),
            message,
        })?;
        Ok(substituted
            .into_iter()
            .map(|(key, value)| {
                let origin = combined
                    .get(&key)
                    .map(|(_, origin)| origin.clone())
                    .unwrap_or_else(|| self.origin_of("Definition", &key));
                (key, (value, origin))
            })
            .collect())
    }
}
