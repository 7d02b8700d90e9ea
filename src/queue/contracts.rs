//! Which SLA contract applies to which tenant.

use std::collections::HashMap;
use std::sync::Arc;

use crate::model::TenantId;
use crate::sla::Contract;

/// Contracts per tenant, with a default for tenants that have none of their own.
#[derive(Clone, Debug)]
pub struct ContractBook {
    default: Arc<Contract>,
    by_tenant: HashMap<TenantId, Arc<Contract>>,
}

impl ContractBook {
    pub fn new(default: Arc<Contract>) -> Self {
        Self {
            default,
            by_tenant: HashMap::new(),
        }
    }

    /// Give `tenant` its own contract.
    pub fn insert(&mut self, tenant: TenantId, contract: Arc<Contract>) {
        self.by_tenant.insert(tenant, contract);
    }

    pub fn with_tenant(mut self, tenant: TenantId, contract: Arc<Contract>) -> Self {
        self.insert(tenant, contract);
        self
    }

    /// The contract that governs `tenant`'s items.
    pub fn contract_for(&self, tenant: &TenantId) -> &Arc<Contract> {
        self.by_tenant.get(tenant).unwrap_or(&self.default)
    }

    pub fn default_contract(&self) -> &Arc<Contract> {
        &self.default
    }
}

impl Default for ContractBook {
    fn default() -> Self {
        Self::new(Arc::new(Contract::default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_contract_overrides_default() {
        let special = Contract {
            name: "gold".into(),
            ..Contract::default()
        };
        let book = ContractBook::default().with_tenant(TenantId::new("acme"), Arc::new(special));
        assert_eq!(book.contract_for(&TenantId::new("acme")).name, "gold");
        assert_eq!(book.contract_for(&TenantId::new("other")).name, "standard");
    }
}
