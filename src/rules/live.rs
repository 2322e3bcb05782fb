//! The rules in force: the config file's `[[rules]]` (read-only through the API) followed by
//! the API-managed ones (kept in the store), compiled into one [`RuleSet`] and swapped
//! atomically when the API replaces its part. Readers take an `Arc` of the current set and
//! evaluate without holding any lock.

use std::sync::{Arc, RwLock};

use super::config::Support;
use super::decide::Policy;
use super::engine::RuleSet;
use super::rule::{RuleError, RuleSpec, check_templates};

/// The API-managed part and the compiled whole, replaced together.
struct Current {
    set: Arc<RuleSet>,
    api: Arc<Vec<RuleSpec>>,
}

/// The live rules and the `[support]` policy they are decided with.
pub struct Live {
    policy: Policy,
    config: Vec<RuleSpec>,
    current: RwLock<Current>,
    /// Serialises replacements, so the order of commits to the store is the order of installs.
    updates: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live")
            .field("config_rules", &self.config.len())
            .field("api_rules", &self.api_rules().len())
            .finish_non_exhaustive()
    }
}

impl Live {
    /// The config rules followed by `api`; fails like [`Live::prepare`].
    pub fn new(
        support: &Support,
        config: Vec<RuleSpec>,
        api: Vec<RuleSpec>,
    ) -> Result<Live, RuleError> {
        let policy = Policy::from_support(support);
        let set = compile(&policy, &config, &api)?;
        Ok(Live {
            policy,
            config,
            current: RwLock::new(Current {
                set: Arc::new(set),
                api: Arc::new(api),
            }),
            updates: tokio::sync::Mutex::new(()),
        })
    }

    /// The compiled rules in force.
    pub fn rules(&self) -> Arc<RuleSet> {
        Arc::clone(&self.read().set)
    }

    /// The config file's rules (evaluated first).
    pub fn config_rules(&self) -> &[RuleSpec] {
        &self.config
    }

    /// The API-managed rules (evaluated after the config's).
    pub fn api_rules(&self) -> Arc<Vec<RuleSpec>> {
        Arc::clone(&self.read().api)
    }

    /// The `[support]` policy (hours, opt keywords, templates, guard).
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Compiles the config rules followed by `api` without installing them. The error's index
    /// counts within `api`; a name already used by a config rule is refused.
    pub fn prepare(&self, api: &[RuleSpec]) -> Result<RuleSet, RuleError> {
        compile(&self.policy, &self.config, api)
    }

    /// Makes `api` (compiled by [`Live::prepare`] into `set`) the API-managed rules.
    pub fn install(&self, api: Vec<RuleSpec>, set: RuleSet) {
        let mut cur = match self.current.write() {
            Ok(g) => g,
            // A panic while installing left a complete previous value; carry on with it.
            Err(poisoned) => poisoned.into_inner(),
        };
        *cur = Current {
            set: Arc::new(set),
            api: Arc::new(api),
        };
    }

    /// Held across prepare, store and install by whoever replaces the API rules.
    pub async fn lock_updates(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.updates.lock().await
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Current> {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Config rules then `api`. The config rules' templates are checked against the config's; the
/// API rules' against the config's and the stored ones, by the caller that has the store
/// (`PUT /api/v1/rules`).
fn compile(policy: &Policy, config: &[RuleSpec], api: &[RuleSpec]) -> Result<RuleSet, RuleError> {
    let all: Vec<RuleSpec> = config.iter().chain(api).cloned().collect();
    let relative = |mut e: RuleError| {
        if e.index >= config.len() {
            e.index -= config.len();
        }
        e
    };
    check_templates(config, &|t| policy.has_template(t))?;
    RuleSet::compile(&all).map_err(relative)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Context;

    fn spec(v: serde_json::Value) -> RuleSpec {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn config_first_then_api_and_swap() {
        let support = Support::default();
        let live = Live::new(
            &support,
            vec![spec(
                serde_json::json!({"name": "c", "keywords": ["x"], "actions": ["stop"]}),
            )],
            vec![],
        )
        .unwrap();
        let ctx = |text| Context {
            text,
            sender: "+1",
            at: jiff::Timestamp::UNIX_EPOCH,
            first_contact: false,
            groups: &[],
            open: true,
        };
        assert_eq!(live.rules().evaluate(&ctx("y")), None);
        let api = vec![spec(
            serde_json::json!({"name": "a", "any": true, "actions": [{"reply": {"template": "help"}}]}),
        )];
        let set = live.prepare(&api).unwrap();
        live.install(api, set);
        assert_eq!(live.rules().evaluate(&ctx("y")).map(|f| f.index), Some(1));
        assert_eq!(live.rules().evaluate(&ctx("x")).map(|f| f.name), Some("c"));
        assert_eq!(live.api_rules().len(), 1);

        let dup = vec![spec(
            serde_json::json!({"name": "c", "any": true, "actions": ["stop"]}),
        )];
        let err = live.prepare(&dup).unwrap_err();
        assert_eq!((err.index, err.field), (0, "name"));
        // An API rule may name a template the API stores; PUT /api/v1/rules checks that.
        let stored = vec![spec(
            serde_json::json!({"name": "u", "any": true, "actions": [{"reply": {"template": "stored_only"}}]}),
        )];
        assert!(live.prepare(&stored).is_ok());
    }
}
