//! From configured sources to running connectors: one place that knows every kind, and the
//! pieces each connector is built from (its HTTP endpoint, its mapping rules), so that no
//! connector assembles them on its own.

use jiff::Timestamp;

use super::Source;
use super::SourceError;
use super::alertmanager::Alertmanager;
use super::autotask::Autotask;
use super::backup::borg::Borg;
use super::backup::command::ProcessLimit;
use super::backup::pbs::Pbs;
use super::backup::restic::Restic;
use super::backup::veeam::Veeam;
use super::backup::vspc::Vspc;
use super::checkmk::Checkmk;
use super::demo::{DemoWorld, demo_sources};
use super::halopsa::HaloPsa;
use super::http::{Endpoint, EndpointSpec, Limiter};
use super::icinga::Icinga;
use super::mapping::Mapping;
use super::prtg::Prtg;
use super::redmine::Redmine;
use super::rt::Rt;
use super::zabbix::Zabbix;
use super::zammad::Zammad;
use crate::config::{SourceConfig, SourceKind};
use crate::model::{Priority, TenantId};

/// What every connector is built with besides its own config.
#[derive(Clone, Debug)]
pub struct BuildContext {
    /// The bound on HTTP requests in flight, shared by all sources.
    pub limiter: Limiter,
    /// The configured tenants (label values that name one map to it).
    pub known_tenants: Vec<TenantId>,
    /// Start of the session (the demo world begins its night here).
    pub now: Timestamp,
    /// Recorded restore tests, for the backup rules' "recovery test overdue".
    pub restore_tests: crate::store::RestoreTests,
    /// The bound on backup programs (restic, borg) running at once, shared by all sources.
    pub processes: ProcessLimit,
}

impl BuildContext {
    pub fn new(limiter: Limiter, known_tenants: Vec<TenantId>, now: Timestamp) -> Self {
        Self {
            limiter,
            known_tenants,
            now,
            restore_tests: crate::store::RestoreTests::default(),
            processes: ProcessLimit::default(),
        }
    }

    /// The HTTP endpoint of a source: its `base-url`, or `url` (an HA peer) with the same
    /// TLS and credentials.
    pub fn endpoint(
        &self,
        config: &SourceConfig,
        url: Option<&str>,
    ) -> Result<Endpoint, SourceError> {
        self.endpoint_from(&self.endpoint_spec(config, url)?)
    }

    /// What [`BuildContext::endpoint`] builds from, for a connector that needs to adjust it
    /// (e.g. not follow redirects) before building with [`BuildContext::endpoint_from`].
    pub fn endpoint_spec(
        &self,
        config: &SourceConfig,
        url: Option<&str>,
    ) -> Result<EndpointSpec, SourceError> {
        let base_url = url
            .map(str::to_string)
            .or_else(|| config.base_url.clone())
            .ok_or_else(|| {
                SourceError::Protocol(format!("source {} has no base-url", config.id))
            })?;
        let spec = EndpointSpec {
            base_url,
            ca_file: config.ca_file.clone(),
            insecure: config.insecure,
            timeout: config.timeout,
            auth: config.auth.clone(),
            follow_redirects: true,
        };
        Ok(spec)
    }

    /// An endpoint from an adjusted spec, sharing the bound on requests in flight.
    pub fn endpoint_from(&self, spec: &EndpointSpec) -> Result<Endpoint, SourceError> {
        Endpoint::new(spec, self.limiter.clone())
    }

    /// The mapping rules of a source over the connector's defaults.
    pub fn mapping(
        &self,
        config: &SourceConfig,
        default_priorities: &[(&str, Priority)],
        default_tenant_label: Option<&str>,
    ) -> Mapping {
        Mapping::new(
            &config.mapping,
            config.tenant.clone(),
            default_priorities,
            default_tenant_label,
            self.known_tenants.clone(),
        )
    }
}

/// The connectors of one configured source (the demo world is several feeds).
pub fn build(
    config: &SourceConfig,
    ctx: &BuildContext,
) -> Result<Vec<Box<dyn Source>>, SourceError> {
    Ok(match &config.kind {
        SourceKind::Demo(settings) => {
            let world = DemoWorld::new(settings.seed.unwrap_or(42), ctx.now);
            demo_sources(&world)
        }
        SourceKind::Alertmanager(settings) => {
            vec![Box::new(Alertmanager::from_config(config, settings, ctx)?)]
        }
        SourceKind::Icinga2(settings) => {
            vec![Box::new(Icinga::from_config(config, settings, ctx)?)]
        }
        SourceKind::Zabbix(settings) => vec![Box::new(Zabbix::from_config(config, settings, ctx)?)],
        SourceKind::Prtg(settings) => vec![Box::new(Prtg::from_config(config, settings, ctx)?)],
        SourceKind::Checkmk(settings) => {
            vec![Box::new(Checkmk::from_config(config, settings, ctx)?)]
        }
        SourceKind::Rt(settings) => vec![Box::new(Rt::from_config(config, settings, ctx)?)],
        SourceKind::Redmine(settings) => {
            vec![Box::new(Redmine::from_config(config, settings, ctx)?)]
        }
        SourceKind::HaloPsa(settings) => {
            vec![Box::new(HaloPsa::from_config(config, settings, ctx)?)]
        }
        SourceKind::Autotask(settings) => {
            vec![Box::new(Autotask::from_config(config, settings, ctx)?)]
        }
        SourceKind::Zammad(settings) => vec![Box::new(Zammad::from_config(config, settings, ctx)?)],
        SourceKind::Restic(settings) => vec![Box::new(Restic::from_config(config, settings, ctx)?)],
        SourceKind::Borg(settings) => vec![Box::new(Borg::from_config(config, settings, ctx)?)],
        SourceKind::Veeam(settings) => vec![Box::new(Veeam::from_config(config, settings, ctx)?)],
        SourceKind::Vspc(settings) => vec![Box::new(Vspc::from_config(config, settings, ctx)?)],
        SourceKind::Pbs(settings) => vec![Box::new(Pbs::from_config(config, settings, ctx)?)],
    })
}

/// A configured source that could not be set up: it answers every poll with the reason, so
/// the status bar shows it as down and says why, and the other sources run as usual.
pub struct FailedSource {
    id: crate::model::SourceId,
    kind: &'static str,
    tenant: Option<TenantId>,
    error: SourceError,
}

impl FailedSource {
    pub fn new(config: &SourceConfig, error: SourceError) -> Self {
        Self {
            id: config.id.clone(),
            kind: config.kind.name(),
            tenant: config.tenant.clone(),
            error,
        }
    }
}

impl Source for FailedSource {
    fn id(&self) -> &crate::model::SourceId {
        &self.id
    }

    fn kind(&self) -> &'static str {
        self.kind
    }

    fn tenant(&self) -> Option<TenantId> {
        self.tenant.clone()
    }

    fn fetch(
        &mut self,
        _now: Timestamp,
    ) -> super::BoxFuture<'_, Result<super::Fetched, SourceError>> {
        let error = self.error.clone();
        Box::pin(async move { Err(error) })
    }
}
