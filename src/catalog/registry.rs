//! The explorer's catalog of a registry (OCI distribution API) or Amazon ECR: the rows come
//! from [`super::listing`], so `ls` and the screens list the same things.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::listing::{self, Found};
use super::{Catalog, ImageRow, RepoRow, RepoStats, Switch};
use crate::source::dockerref::RegistryRef;
use crate::source::reference::Reference;
use crate::source::registry::{Client, RegistryOptions, RegistrySource};
use crate::source::{self, ImageSource, ecr};

/// The registry as named, the endpoint host contacted, and whether it is plain HTTP.
type ClientKey = (String, String, bool);

/// A registry (OCI distribution API) or Amazon ECR, listed through [`super::listing`].
pub struct RegistryCatalog {
    /// `None`: the ECR registry of `account` (else the caller's own) in the configured region.
    registry: Mutex<Option<String>>,
    ecr_default: bool,
    /// Amazon ECR (its own registry, or an ECR host named): decided once in `new`, since a
    /// switch forgets the host until the next listing finds it again.
    ecr: bool,
    /// Another account's ECR registry, after `:registry ID`.
    account: Mutex<Option<String>>,
    /// Changed in place by `:profile` and `:region`.
    opts: Mutex<RegistryOptions>,
    /// The ECR client of the repository stats, kept from chunk to chunk with the profile and
    /// region it was made for.
    stats_client: Mutex<Option<(String, ecr::Ecr)>>,
    /// One registry client per endpoint, shared by every listing and image read (threads
    /// too), so ECR is asked for a token once, not once per image; emptied by a switch.
    clients: Mutex<HashMap<ClientKey, Arc<Client>>>,
}

impl RegistryCatalog {
    pub fn new(registry: Option<&str>, opts: RegistryOptions) -> RegistryCatalog {
        RegistryCatalog {
            registry: Mutex::new(registry.map(str::to_string)),
            ecr_default: registry.is_none(),
            ecr: registry.is_none_or(|h| ecr::parse_ecr_host(h).is_some()),
            account: Mutex::new(None),
            opts: Mutex::new(opts),
            stats_client: Mutex::new(None),
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// The shared client for the endpoint `r` is read from, made on first use.
    fn client(&self, r: &RegistryRef, opts: &RegistryOptions) -> Result<Arc<Client>, String> {
        let e = opts.endpoint(r);
        let key = (r.registry.clone(), e.host.clone(), e.insecure);
        let mut clients = self
            .clients
            .lock()
            .map_err(|_| "the catalog's clients are unusable after a failed task")?;
        if let Some(c) = clients.get(&key) {
            return Ok(c.clone());
        }
        let c = Arc::new(
            Client::new(&r.registry, &e.host, e.insecure, opts).map_err(|e| e.to_string())?,
        );
        clients.insert(key, c.clone());
        Ok(c)
    }

    fn host(&self) -> Option<String> {
        self.registry.lock().ok().and_then(|g| g.clone())
    }

    fn opts(&self) -> RegistryOptions {
        self.opts.lock().map(|o| o.clone()).unwrap_or_default()
    }

    /// ECR errors already name the IAM action; add the ways out people need on this screen.
    fn advise(&self, e: String) -> String {
        if self.ecr_default {
            format!(
                "{e}\n\nConfigure access with `aws configure` (or `aws sso login --profile NAME`) and start again with --profile/--region, or try the bundled demo: archlens demo"
            )
        } else {
            e
        }
    }
}

impl Catalog for RegistryCatalog {
    fn describe(&self) -> String {
        self.host().unwrap_or_else(|| "Amazon ECR".into())
    }

    fn repositories(&self) -> Result<Vec<RepoRow>, String> {
        let repos = match self.host() {
            Some(h) => listing::list_repositories_with(&h, &self.opts(), false)
                .map_err(|e| self.advise(e.to_string()))?,
            None => {
                let account = self.account.lock().ok().and_then(|a| a.clone());
                let l = listing::list_default_ecr_with(&self.opts(), false, account.as_deref())
                    .map_err(|e| self.advise(e.to_string()))?;
                if let Ok(mut g) = self.registry.lock() {
                    *g = Some(l.registry.clone());
                }
                l.repositories
            }
        };
        Ok(repos
            .into_iter()
            .map(|r| RepoRow {
                name: r.name,
                images: r.image_count,
                last_push: r.last_pushed_at,
                created: r.created_at,
                tag_mutability: r.tag_mutability,
                pull_through_upstream: r.pull_through_upstream,
            })
            .collect())
    }

    fn images(&self, repository: &str) -> Result<Vec<ImageRow>, String> {
        self.images_picked(repository, &listing::first_tags)
            .map(|(rows, _)| rows)
    }

    fn images_picked(
        &self,
        repository: &str,
        pick: &listing::TagPick<'_>,
    ) -> Result<(Vec<ImageRow>, Vec<String>), String> {
        let host = self
            .host()
            .ok_or("the registry is not known yet: list its repositories first")?;
        let name = format!("{host}/{repository}");
        let r = RegistryRef::parse(&name).map_err(|e| e.to_string())?;
        let opts = self.opts();
        let (images, notes) = listing::list_images_on(self.client(&r, &opts)?, &r, &opts, pick)
            .map_err(|e| self.advise(e.to_string()))?;
        let ecr_host = ecr::parse_ecr_host(&host);
        let rows = images
            .into_iter()
            .map(|i| ImageRow {
                unpullable: match (&ecr_host, i.image_status) {
                    (Some(h), Some(status)) if status.unpullable() => {
                        Some(Box::new(ecr::Unpullable {
                            account: h.account.clone(),
                            region: h.region.clone(),
                            repository: repository.to_string(),
                            reference: i.tags.first().cloned().unwrap_or(i.digest.clone()),
                            digest: i.digest.clone(),
                            status,
                            since: i.last_archived_at.clone(),
                        }))
                    }
                    _ => None,
                },
                reference: format!("{name}@{}", i.digest),
                digest: i.digest.parse().ok(),
                tags: i.tags,
                pushed: i.pushed_at,
                size: i.size,
                scan_findings: i.scan_findings,
                // In-index attachments come back with the row's manifests (RootInfo).
                attached: i
                    .related
                    .iter()
                    .filter(|r| r.found != Found::Index)
                    .map(|r| r.artifact)
                    .collect(),
            })
            .collect();
        Ok((rows, notes))
    }

    fn is_ecr(&self) -> bool {
        self.ecr
    }

    fn switch(&self, to: &Switch) -> Result<(), String> {
        if !self.ecr {
            return Err(format!(
                "{} is not Amazon ECR: :profile, :region and :registry switch ECR sources",
                self.describe()
            ));
        }
        let (Ok(mut opts), Ok(mut registry), Ok(mut account)) =
            (self.opts.lock(), self.registry.lock(), self.account.lock())
        else {
            return Err("the catalog's state is unusable after a failed task".into());
        };
        // A named ECR host gives the account and region the switch starts from.
        if let Some(h) = registry.as_deref().and_then(ecr::parse_ecr_host) {
            opts.aws.region.get_or_insert(h.region);
            if !self.ecr_default {
                account.get_or_insert(h.account);
            }
        }
        match to {
            Switch::Profile(p) => opts.aws.profile = Some(p.clone()),
            Switch::Region(r) => opts.aws.region = Some(r.clone()),
            Switch::Registry(id) => *account = Some(id.clone()),
        }
        // Found again by the next listing, in the new account or region.
        *registry = None;
        if let Ok(mut c) = self.clients.lock() {
            c.clear();
        }
        Ok(())
    }

    fn repository_stats(&self, repositories: &[String]) -> Result<Vec<Option<RepoStats>>, String> {
        let host = self
            .host()
            .ok_or("the registry is not known yet: list its repositories first")?;
        Ok(
            listing::repository_stats(&host, repositories, &self.opts(), &self.stats_client)
                .map_err(|e| e.to_string())?
                .unwrap_or_else(|| vec![None; repositories.len()]),
        )
    }

    fn open(&self, image: &ImageRow) -> Result<Box<dyn ImageSource>, String> {
        let opts = self.opts();
        let parsed = Reference::parse(&image.reference).map_err(|e| e.to_string())?;
        let Reference::Registry(name) = parsed else {
            return source::open_reference(&parsed, &opts).map_err(|e| e.to_string());
        };
        let r = RegistryRef::parse(&name).map_err(|e| e.to_string())?;
        Ok(Box::new(RegistrySource::on(
            self.client(&r, &opts)?,
            r,
            &opts,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ecr_host_stays_ecr_after_a_switch_forgets_it() {
        let c = RegistryCatalog::new(
            Some("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"),
            RegistryOptions::default(),
        );
        assert!(c.is_ecr(), "a China-region host is ECR");
        assert_eq!(c.switch(&Switch::Region("cn-northwest-1".into())), Ok(()));
        assert_eq!(c.host(), None, "found again by the next listing");
        // Before the next listing the host is unknown; it is still ECR, so a second switch
        // is not refused.
        assert!(c.is_ecr());
        assert_eq!(c.switch(&Switch::Profile("china".into())), Ok(()));
        let o = c.opts();
        assert_eq!(
            (o.aws.region.as_deref(), o.aws.profile.as_deref()),
            (Some("cn-northwest-1"), Some("china"))
        );
        assert_eq!(
            c.account.lock().ok().and_then(|a| a.clone()).as_deref(),
            Some("123456789012"),
            "the named host's account is kept"
        );
        assert!(RegistryCatalog::new(None, RegistryOptions::default()).is_ecr());
        let plain = RegistryCatalog::new(Some("localhost:5000"), RegistryOptions::default());
        assert!(!plain.is_ecr());
        assert!(plain.switch(&Switch::Region("eu-west-1".into())).is_err());
    }
}
